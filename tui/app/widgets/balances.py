"""Collateral balances per asset and the account summary."""

from __future__ import annotations

from decimal import Decimal

from textual.content import Content
from textual.widgets import Static

from tui.domain.models import AccountSummary, Balance

from ..formatting import money, signed


def _pnl_markup(value: Decimal | None) -> str:
    text = signed(value)
    if value is None or value == 0:
        return text
    return f"[$text-success]{text}[/]" if value > 0 else f"[$text-error]{text}[/]"


class BalanceView(Static):
    """Renders the account summary and each asset's balance. Repaints only on change."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._key: object = None

    def show(self, balances: dict[str, Balance], summary: AccountSummary | None) -> None:
        key = (tuple(sorted(balances.items())), summary)
        if key == self._key:
            return
        self._key = key
        lines: list[str] = []
        if summary is not None:
            lines.append(f"Equity {money(summary.equity):>10}  uPnL {_pnl_markup(summary.pnl)}")
            lines.append(f"Free   {money(summary.free_margin):>10}  Used {money(summary.margin)}")
        else:
            lines.append("Equity -")
        shown = [b for _, b in sorted(balances.items()) if b.balance or b.borrow]
        if shown:
            lines.append("")
        for bal in shown:
            line = f"{bal.asset:<6} {_qty(bal.balance):>11}"
            if bal.borrow:
                line += f" brw {_qty(bal.borrow)}"
            lines.append(line)
        self.update(Content.from_markup("\n".join(lines)))


def _qty(value: Decimal) -> str:
    """A balance with at most 8 decimals and no trailing zeros (never an exponent)."""
    text = format(value.quantize(Decimal("1e-8")).normalize(), "f")
    return text
