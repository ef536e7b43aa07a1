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
    """Renders the account summary and each asset's balance. Repaints only on change, and
    without a layout pass while its height stays the same: the balances change with every 2 s
    poll, and a layout pass reflows the whole desk (~20 ms, a frame a keypress can land
    behind)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._key: object = None
        self._height: int | None = None  # the lines shown, if none of them wrapped

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
        content = Content.from_markup("\n".join(lines))
        width = self.content_region.width
        widest = max(line.cell_length for line in content.split("\n"))
        height = len(lines) if 0 < widest <= width else None  # (None: a line may wrap)
        self.update(content, layout=height is None or height != self._height)
        self._height = height


def _qty(value: Decimal) -> str:
    """A balance with at most 8 decimals and no trailing zeros (never an exponent)."""
    text = format(value.quantize(Decimal("1e-8")).normalize(), "f")
    return text
