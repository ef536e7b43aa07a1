"""The venue adapter boundary: what the service needs from an exchange, in domain terms.

``TradingService`` holds state and publishes events; a ``Venue`` only fetches and sends.
WhiteBIT is the first adapter (``tui.service.whitebit``). A second venue (Bitso cross margin,
where risk is one account-wide margin level instead of per-position liquidation prices) plugs
in by implementing the same protocol: its positions map onto ``Position`` (liquidation price
None, the account's margin level in ``AccountSummary.margin_fraction``), and its order kinds
onto ``OrderRequest``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from tui.domain.models import (
    AccountSummary,
    Balance,
    FundingPayment,
    Market,
    Order,
    OrderRequest,
    Position,
    PositionEvent,
    StreamState,
    VenueInfo,
)


class CommandError(Exception):
    """A command the venue refused or could not carry out, ready to show to the trader.

    Never carries secrets, signatures or payloads: only the exchange's code, message and
    per-field errors.
    """

    def __init__(
        self,
        code: int | None,
        message: str,
        errors: dict[str, list[str]] | None = None,
        *,
        uncertain: bool = False,
    ) -> None:
        self.code = code
        self.message = message
        self.errors = dict(errors or {})
        #: True when an order's fate is unknown (sent, no answer, reconciliation found nothing).
        self.uncertain = uncertain
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"[code {self.code}] " if self.code is not None else ""
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items() if v)
        return f"{head}{self.message}" + (f" ({details})" if details else "")


@dataclass(slots=True)
class StreamCallbacks:
    on_positions: Callable[[list[Position]], None]
    on_price: Callable[[str, Decimal], None]
    on_order: Callable[[int, Order], None]
    on_state: Callable[[str, StreamState, str], None]
    on_error: Callable[[str], None]


class Venue(Protocol):
    """Everything the service asks of an exchange. Every method raises ``CommandError``."""

    async def connect(self) -> VenueInfo: ...

    async def close(self) -> None: ...

    async def load_markets(self) -> list[Market]: ...

    async def load_prices(self) -> dict[str, Decimal]: ...

    async def load_balances(self) -> dict[str, Balance]: ...

    async def load_summary(self) -> AccountSummary | None: ...

    async def load_positions(self) -> list[Position]: ...

    async def load_orders(self) -> list[Order]: ...

    async def load_settings(self) -> tuple[int, bool]: ...

    async def place_order(self, request: OrderRequest) -> list[Order]: ...

    async def find_orders(self, market: str, client_order_id: str) -> list[Order]:
        """Open or finished orders carrying ``client_order_id`` (empty: none)."""
        ...

    async def cancel_order(self, order: Order) -> None: ...

    async def close_position(self, position: Position, amount: Decimal | None) -> None: ...

    async def set_leverage(self, leverage: int) -> int: ...

    async def set_hedge_mode(self, enabled: bool) -> bool: ...

    async def positions_history(self, market: str | None) -> list[PositionEvent]: ...

    async def funding_history(self, market: str | None) -> list[FundingPayment]: ...

    async def kill_switch(self, market: str, timeout: int | None) -> None:
        """Arm/renew the market's exchange-side dead-man timer (seconds), or delete it (None)."""
        ...

    async def start_streams(self, callbacks: StreamCallbacks, price_markets: list[str]) -> None: ...

    async def stop_streams(self) -> None: ...

    def stale_after(self, stream: str) -> float | None:
        """Seconds without an update after which ``stream`` is reported STALE (each stream has
        its own: a 1 Hz snapshot can be judged sooner than a price feed), or None before the
        streams are started."""
        ...
