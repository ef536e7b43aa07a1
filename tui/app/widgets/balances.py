"""Collateral balances per asset and the account summary."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from textual.content import Content
from textual.widgets import Static

from tui.domain.account import AccountFigures
from tui.domain.models import Balance

from ..formatting import money, signed


def _pnl_markup(value: Decimal | None) -> str:
    text = signed(value)
    if value is None or value == 0:
        return text
    return f"[$text-success]{text}[/]" if value > 0 else f"[$text-error]{text}[/]"


CENT = Decimal("0.01")


class BalanceView(Static):
    """Renders the account summary and each asset's balance. Repaints only on change, and
    without a layout pass while its height stays the same: the balances change with every 2 s
    poll, and a layout pass reflows the whole desk (~20 ms, a frame a keypress can land
    behind)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._key: object = None
        self._height: int | None = None  # the lines shown, if none of them wrapped

    def show(self, balances: dict[str, Balance], figures: AccountFigures | None) -> None:
        key = (tuple(sorted(balances.items())), figures)
        if key == self._key:
            return
        self._key = key
        lines: list[str] = []
        if figures is not None:
            lines.extend(_figure_lines(figures))
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


def _figure_lines(figures: AccountFigures) -> list[str]:
    """Equity, then Used (position margin + Reserved, the margin open orders hold) and Free.
    Free is shown as the shown Equity minus the shown Used, so the lines add up to the cent
    (each exact figure rounded on its own could be a cent off)."""
    equity = _cents(figures.equity)
    used = _cents(figures.used)
    free = equity - used
    free_text = f"{money(free):>10}"
    if free < 0:
        free_text = f"[$text-error]{free_text}[/]"
    return [
        f"Equity   {money(equity):>10}  uPnL {_pnl_markup(figures.upnl)}",
        f"Used     {money(used):>10}",
        f"Reserved {money(figures.reserved):>10}",
        f"Free     {free_text}",
    ]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _qty(value: Decimal) -> str:
    """A balance with at most 8 decimals and no trailing zeros (never an exponent)."""
    text = format(value.quantize(Decimal("1e-8")).normalize(), "f")
    return text
