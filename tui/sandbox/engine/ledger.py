"""The account: balances, isolated position margin, leverage, hedge mode, the engine's state.

Margin model (isolated margin per position; the formulas are ``tui.domain.risk``'s):

- ``B`` = collateral wallet balance (USDT). Realized PnL, fees, funding and settled interest move
  it; opening a position does not (the margin is *locked*, not spent).
- Effective leverage ``L`` = account leverage, capped at 10x on margin (spot) markets
  (``tui.domain.markets.effective_leverage``). It is fixed into a position's margin when it opens.
- Opening/increasing by ``q`` at price ``p``: ``margin += q*p/L``; entry = size-weighted average.
- Order reservation: a resting order holds ``q_open*p/L + q*p*taker_fee`` (``q_open`` = the part
  that would open/increase exposure, ``p`` its limit/trigger price); released on fill or cancel.
- ``locked = sum(position margin) + sum(order reservations)``; ``available = max(0, B - locked)``.
  A new order needs ``available >= q_open*p/L + q*p*taker_fee`` (else code 10). The summary
  reports ``margin = locked`` and ``freeMargin = equity - locked`` (``tui.domain.account``).
- Fees: ``q*p*fee%/100`` (maker for resting limit fills, taker otherwise), charged to ``B``.
- Reducing by ``q`` at ``p``: realized ``pnl = (p-entry)*q`` (long) / ``(entry-p)*q`` (short) goes
  to ``B``; the margin is released pro rata (``margin -= margin*q/size``).
- Unrealized PnL, liquidation and margin-call prices: ``risk.unrealized_pnl``,
  ``risk.liquidation_price(direction, size, entry, margin, mmr)`` (equity == mmr*size*mark) and
  ``risk.margin_call_price`` (equity == 2*mmr*size*mark). MMR: ``tui.domain.markets``
  (3 % margin, 0.5 % futures).
- Hedge mode applies to futures (``_PERP``) markets only: there ``positionSide`` LONG/SHORT is
  required and selects one of two independent positions (buy LONG / sell SHORT open, sell LONG /
  buy SHORT close and are clipped to the position). Margin markets and one-way mode net into one
  ``BOTH`` position per market; an opposite order reduces it and may flip it (decision: code 115
  "would result in a new position in the opposite direction" is not used).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tui.domain import risk
from tui.domain.markets import ACCOUNT_LEVERAGES, effective_leverage
from tui.domain.models import Direction

from .. import errors
from ..catalog import MarketSpec, default_catalog
from .records import (
    COLLATERAL_ASSET,
    MONEY_Q,
    ZERO,
    D,
    OcoGroup,
    SimOrder,
    SimPosition,
    cap,
)


@dataclass(frozen=True, slots=True)
class EngineOptions:
    seed: int = 1
    static_prices: bool = False
    funding_interval: float = 8 * 3600.0
    interest_interval: float = 3600.0


class Ledger:
    """The engine's state and the account figures derived from it (the base of ``Engine``)."""

    def __init__(
        self,
        *,
        clock: Callable[[], Decimal],
        balances: dict[str, Decimal] | None = None,
        options: EngineOptions | None = None,
        catalog: dict[str, MarketSpec] | None = None,
    ) -> None:
        self._clock = clock
        self.options = options or EngineOptions()
        self.catalog = catalog or default_catalog()
        self.rng = random.Random(self.options.seed)
        now = self.now()
        start = dict(balances) if balances is not None else {COLLATERAL_ASSET: D("10000")}
        self.balances: dict[str, Decimal] = {COLLATERAL_ASSET: ZERO}
        for asset, amount in start.items():
            self.balances[asset.upper()] = D(amount)
        for spec in self.catalog.values():
            self.balances.setdefault(spec.market.base, ZERO)
        self.leverage = 5
        self.hedge_mode = False
        self.prices = {name: spec.start_price for name, spec in self.catalog.items()}
        self.open_prices = dict(self.prices)  # for 24 h change
        self.highs = dict(self.prices)
        self.lows = dict(self.prices)
        self.volumes = {name: ZERO for name in self.catalog}  # base volume traded by us
        self.funding_rates = {n: s.funding_rate for n, s in self.catalog.items() if s.is_futures}
        self.positions: dict[int, SimPosition] = {}
        self.orders: dict[int, SimOrder] = {}  # open orders (incl. untriggered stops)
        self.finished: list[SimOrder] = []
        self.deals: list[dict[str, Any]] = []
        self.position_events: list[dict[str, Any]] = []
        self.funding_payments: list[dict[str, Any]] = []  # this account's
        self.funding_rounds: list[dict[str, Any]] = []  # public funding history
        self.oco: dict[int, OcoGroup] = {}
        self.next_ids = {"order": 4_000_000_001, "position": 700_001, "deal": 90_000_001}
        self.next_funding = now + D(str(self.options.funding_interval))
        self.next_interest = now + D(str(self.options.interest_interval))
        self.tick_count = 0
        self.events: list[tuple[Any, ...]] = []
        self._executing: dict[int, SimOrder] = {}  # orders being filled right now
        # Ids of open orders and positions changed (or removed) since the store's last commit:
        # the store writes those rows only, so a commit costs what the command changed.
        self.touched_orders: set[int] = set()
        self.touched_positions: set[int] = set()
        self.prices_dirty = True  # the market moved since the last save

    # -- basics -------------------------------------------------------------------------------
    def now(self) -> Decimal:
        return self._clock()

    def _id(self, kind: str) -> int:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value

    def spec(self, market: Any) -> MarketSpec:
        if not isinstance(market, str) or market not in self.catalog:
            raise errors.validation(31, "market", "Market is not available.")
        return self.catalog[market]

    def price(self, market: str) -> Decimal:
        return self.prices[market]

    @property
    def balance(self) -> Decimal:
        return self.balances[COLLATERAL_ASSET]

    @balance.setter
    def balance(self, value: Decimal) -> None:
        self.balances[COLLATERAL_ASSET] = value.quantize(MONEY_Q)

    def effective_leverage(self, market: str) -> int:
        return effective_leverage(self.leverage, self.catalog[market].market.product)

    def is_hedged(self, market: str) -> bool:
        """Hedge mode is a futures feature: margin pairs always net one-way."""
        return self.hedge_mode and self.catalog[market].is_futures

    def _emit(self, *event: Any) -> None:
        self.events.append(event)
        if event[0] == "order":
            self.touched_orders.add(event[2].id)
        elif event[0] == "margin_event":
            self.touched_positions.add(event[2].id)

    def drain_events(self) -> list[tuple[Any, ...]]:
        events, self.events = self.events, []
        return events

    # -- account figures ----------------------------------------------------------------------
    def locked(self) -> Decimal:
        return sum((p.margin for p in self.positions.values()), ZERO) + sum(
            (o.reserved for o in self.orders.values()), ZERO
        )

    def available(self) -> Decimal:
        return max(ZERO, self.balance - self.locked())

    def position_pnl(self, pos: SimPosition) -> Decimal:
        return risk.unrealized_pnl(
            Direction(pos.direction), pos.size, pos.entry, self.prices[pos.market]
        )

    def liquidation_price(self, pos: SimPosition) -> Decimal | None:
        spec = self.catalog[pos.market]
        return risk.liquidation_price(
            Direction(pos.direction), pos.size, pos.entry, pos.margin, spec.mmr
        )

    def margin_call_price(self, pos: SimPosition) -> Decimal | None:
        spec = self.catalog[pos.market]
        return risk.margin_call_price(
            Direction(pos.direction), pos.size, pos.entry, pos.margin, spec.mmr
        )

    def borrowed(self, pos: SimPosition) -> Decimal:
        if self.catalog[pos.market].is_futures:
            return ZERO
        return max(ZERO, pos.size * pos.entry - pos.margin)

    def summary(self) -> dict[str, Any]:
        upnl = ZERO
        upnl_futures = ZERO
        notional = ZERO
        maintenance = ZERO
        for pos in self.positions.values():
            pnl = self.position_pnl(pos)
            upnl += pnl
            spec = self.catalog[pos.market]
            if spec.is_futures:
                upnl_futures += pnl
            value = risk.notional(pos.size, self.prices[pos.market])
            notional += value
            maintenance += value * spec.mmr
        funding = sum((p.unrealized_funding for p in self.positions.values()), ZERO)
        equity = self.balance + upnl - funding
        # Used margin: the positions' and what open orders reserve; free = equity - used, so
        # an unrealized loss or a resting order is never counted as free (tui.domain.account).
        margin = self.locked()
        if notional > 0:
            fraction = equity / notional
            mfraction = maintenance / notional
        else:
            fraction = D("1000000000000000000000")  # WhiteBIT's "infinite" with no positions
            mfraction = ZERO
        return {
            "equity": equity,
            "margin": margin,
            "freeMargin": equity - margin,
            "unrealizedFunding": funding,
            "pnl": upnl,
            "leverage": self.leverage,
            "marginFraction": fraction,
            "maintenanceMarginFraction": mfraction,
            "futuresEquity": self.balance + upnl_futures,
            "futuresFreeMargin": self.available(),
        }

    def balance_summary(self) -> list[dict[str, Any]]:
        rows = []
        for asset in sorted(self.balances):
            if asset == COLLATERAL_ASSET:
                borrow = sum((self.borrowed(p) for p in self.positions.values()), ZERO)
                avail = self.available()
                rows.append(
                    {
                        "asset": asset,
                        "balance": self.balance,
                        "borrow": borrow,
                        "availableWithoutBorrow": avail,
                        "availableWithBorrow": avail * self.leverage,
                    }
                )
            else:
                amount = self.balances[asset]
                rows.append(
                    {
                        "asset": asset,
                        "balance": amount,
                        "borrow": ZERO,
                        "availableWithoutBorrow": amount,
                        "availableWithBorrow": amount,
                    }
                )
        return rows

    def available_balances(self) -> dict[str, Decimal]:
        """What ``collateral-account/balance`` reports: the available amount per asset.

        The quickstart says the endpoint "maps each collateral asset to an available balance
        amount" and that cancelling an order returns the reserved collateral to it, so USDT is
        ``balance - locked``. Other assets are informational (only USDT is used as collateral).
        """
        out = {}
        for asset in sorted(self.balances):
            out[asset] = self.available() if asset == COLLATERAL_ASSET else self.balances[asset]
        return out

    # -- account settings ---------------------------------------------------------------------
    def set_leverage(self, leverage: int) -> int:
        if leverage not in ACCOUNT_LEVERAGES:
            raise errors.validation(30, "leverage", "Leverage is invalid.")
        # Current OAS: code 113 = leverage cannot be changed while positions or orders exist
        # (it contradicts the same page's "affects all open positions" note; the error list is
        # the more specific statement, and it keeps isolated margins consistent).
        if leverage != self.leverage and (self.positions or self.orders):
            raise errors.inner(
                113, "leverage", "Leverage cannot be changed if there exists positions or orders"
            )
        self.leverage = leverage
        return leverage

    def set_hedge_mode(self, enabled: bool) -> bool:
        if enabled != self.hedge_mode:
            futures_busy = any(self.catalog[p.market].is_futures for p in self.positions.values())
            futures_busy |= any(self.catalog[o.market].is_futures for o in self.orders.values())
            if futures_busy:
                raise errors.inner(
                    113,
                    "hedgeMode",
                    "Position side cannot be changed if there exists futures positions or orders",
                )
        self.hedge_mode = enabled
        return enabled

    # -- positions lookup ---------------------------------------------------------------------
    def position_for(self, market: str, position_side: str) -> SimPosition | None:
        for pos in self.positions.values():
            if pos.market == market and pos.position_side == position_side:
                return pos
        return None

    def open_positions(self, market: str | None = None) -> list[SimPosition]:
        return sorted(
            (p for p in self.positions.values() if market is None or p.market == market),
            key=lambda p: p.id,
        )

    def _settle_funding(self, pos: SimPosition) -> Decimal:
        owed = pos.unrealized_funding
        self.touched_positions.add(pos.id)
        if owed:
            self.balance = self.balance - owed
            pos.funding += owed
            pos.unrealized_funding = ZERO
        return owed

    def _record_event(
        self,
        pos: SimPosition,
        order: SimOrder,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        funding_fee: Decimal,
        realized_pnl: Decimal | None,
        liquidation_state: str | None,
    ) -> None:
        self.position_events.append(
            {
                "positionId": pos.id,
                "market": pos.market,
                "openDate": pos.open_time,
                "modifyDate": self.now(),
                "amount": pos.signed_amount,
                "basePrice": pos.entry,
                "realizedFunding": pos.funding,
                "liquidationPrice": self.liquidation_price(pos) if pos.size > 0 else None,
                "liquidationState": liquidation_state,
                "orderDetail": {
                    "id": order.id,
                    "tradeAmount": qty,
                    "price": price,
                    "tradeFee": fee,
                    "fundingFee": funding_fee if funding_fee else None,
                    "realizedPnl": realized_pnl,
                },
                "positionSide": pos.position_side,
                "side": "LONG" if pos.direction == "long" else "SHORT",
                "isHedge": pos.position_side != "BOTH",
            }
        )
        cap(self.position_events)
        self.touched_positions.add(pos.id)
