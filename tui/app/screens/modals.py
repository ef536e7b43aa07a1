"""Modal dialogs. Every destructive action goes through one of these, showing exactly what
will happen. ``y``/``enter`` confirm, ``n``/``escape`` cancel (the close-all dialog needs the
word CLOSE typed, so there ``n`` is just a letter). The keys come from the action registry
(tui.app.actions) and the hint lines show them after the user's keymap."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.domain import risk
from tui.domain.models import Direction

from ..actions import BY_ID, bindings, key_hint, keys_of
from ..formatting import money, signed


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question with the details of what will happen."""

    BINDINGS = bindings("modal")

    def __init__(
        self,
        title: str,
        lines: list[str],
        *,
        confirm: str = "Confirm",
        danger: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="confirm-modal")
        self._title = title
        self._lines = lines
        self._confirm = confirm
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" + (" -danger" if self._danger else "")) as dialog:
            dialog.border_title = self._title
            for line in self._lines:
                yield Static(line, classes="dialog-line", markup=False)
            yield Label(
                f"{key_hint(self.app, 'modal.confirm')} {self._confirm}    "
                f"{key_hint(self.app, 'modal.cancel')} cancel",
                classes="dialog-keys",
            )

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class OrderConfirmModal(ModalScreen[bool]):
    """Send this order? A compact summary (market, side, amount, type, price, margin,
    liquidation distance). ``y``/``enter`` send, ``n``/``escape`` do not."""

    BINDINGS = bindings("order")
    SCOPE = "order"
    CONFIRM_WORD = "send"
    DANGER = False

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__(classes="confirm-modal", id=self.SCOPE.replace("_", "-") + "-modal")
        self._title = title
        self._lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" + (" -danger" if self.DANGER else "")) as dialog:
            dialog.border_title = self._title
            yield Static("\n".join(self._lines), classes="dialog-line", markup=False)
            yield Label(
                f"{key_hint(self.app, self.SCOPE + '.confirm')} {self.CONFIRM_WORD}    "
                f"{key_hint(self.app, self.SCOPE + '.cancel')} cancel",
                classes="dialog-keys",
            )

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class OrderRiskModal(OrderConfirmModal, inherit_bindings=False):
    """The second question for an order whose liquidation would lie near the mark: only ``y``
    places it (a repeated enter must not)."""

    BINDINGS = bindings("order_risk")
    SCOPE = "order_risk"
    CONFIRM_WORD = "place anyway"
    DANGER = True


class QuitModal(ModalScreen[bool]):
    """Quit while positions or orders are open? ``y`` quits, any other key stays."""

    BINDINGS = bindings("quit")

    def __init__(self, lines: list[str]) -> None:
        super().__init__(classes="confirm-modal", id="quit-modal")
        self._lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger") as dialog:
            dialog.border_title = "Quit?"
            yield Static("\n".join(self._lines), classes="dialog-line", markup=False)
            yield Label(
                f"{key_hint(self.app, 'quit.confirm')} quit    any other key: stay",
                classes="dialog-keys",
            )

    def on_key(self, event: events.Key) -> None:
        keymap = getattr(self.app, "keymap_overrides", {})
        if event.key not in keys_of(BY_ID["quit.confirm"], keymap):
            event.stop()
            event.prevent_default()
            self.dismiss(False)

    def action_confirm(self) -> None:
        self.dismiss(True)


@dataclass(frozen=True, slots=True)
class CloseTarget:
    """What the close dialog shows, resolved from the row key when ``c`` was pressed."""

    position_id: int
    market: str
    direction: Direction
    size: Decimal
    entry: Decimal | None
    mark: Decimal | None
    pnl: Decimal
    amount_step: Decimal
    amount_places: int
    price_places: int
    quote: str


CLOSE_CHOICES = (Decimal(25), Decimal(50), Decimal(100))


def close_amount(target: CloseTarget, pct: Decimal) -> Decimal:
    if pct >= 100:
        return target.size
    return risk.percent_of(target.size, pct, target.amount_step)


class CloseModal(ModalScreen[Decimal | None]):
    """Close a position: 25/50/100 % (default 100 %). Returns the percent, or None."""

    BINDINGS = bindings("modal", "close")

    def __init__(self, target: CloseTarget) -> None:
        super().__init__(classes="confirm-modal", id="close-modal")
        self.target = target
        self.choice = 2

    @property
    def percent(self) -> Decimal:
        return CLOSE_CHOICES[self.choice]

    def compose(self) -> ComposeResult:
        t = self.target
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = f"Close {t.market} {t.direction.value}"
            yield Static("", id="close-details", classes="dialog-line", markup=False)
            with Horizontal(id="close-choices"):
                for i, pct in enumerate(CLOSE_CHOICES):
                    yield Label(
                        f" {i + 1 if i < 2 else 3}: {pct}% ",
                        id=f"choice-{int(pct)}",
                        classes="close-choice",
                    )
            yield Static("", id="close-effect", classes="dialog-line", markup=False)
            amounts = "/".join(
                key_hint(self.app, binding_id, first_only=True)
                for binding_id in ("close.25", "close.50", "close.100")
            )
            yield Label(
                f"{amounts} amount   {key_hint(self.app, 'modal.confirm')} close   "
                f"{key_hint(self.app, 'modal.cancel')} cancel",
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        self._render_choice()

    def _render_choice(self) -> None:
        t = self.target
        amount = close_amount(t, self.percent)
        est = (
            risk.unrealized_pnl(t.direction, amount, t.entry, t.mark)
            if t.entry is not None and t.mark is not None
            else (t.pnl * self.percent / 100)
        )
        self.query_one("#close-details", Static).update(
            f"Market   {t.market}\n"
            f"Side     {t.direction.value}\n"
            f"Amount   {risk.fmt(t.size, t.amount_places)}\n"
            f"Entry    {money(t.entry, t.price_places)}\n"
            f"Mark     {money(t.mark, t.price_places)}"
        )
        self.query_one("#close-effect", Static).update(
            f"Close {risk.fmt(amount, t.amount_places)} at market"
            f"{' (whole position)' if self.percent >= 100 else ''}\n"
            f"Est. PnL {signed(est)} {t.quote}"
        )
        for pct in CLOSE_CHOICES:
            self.query_one(f"#choice-{int(pct)}", Label).set_class(pct == self.percent, "-selected")

    def action_choose(self, index: int) -> None:
        self.choice = index
        self._render_choice()

    def action_step(self, step: int) -> None:
        self.choice = max(0, min(len(CLOSE_CHOICES) - 1, self.choice + step))
        self._render_choice()

    def action_confirm(self) -> None:
        if close_amount(self.target, self.percent) <= 0:
            self.notify("That is less than the market's minimum step; pick more", severity="error")
            return
        self.dismiss(self.percent)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CloseAllModal(ModalScreen[bool]):
    """Close every position: type CLOSE and press enter."""

    BINDINGS = bindings("close_all")

    def __init__(self, lines: list[str]) -> None:
        super().__init__(classes="confirm-modal", id="close-all-modal")
        self._lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger") as dialog:
            dialog.border_title = "Close ALL positions"
            # one block: the positions listed one a line, not spaced like the other lines
            yield Static("\n".join(self._lines), classes="dialog-line", markup=False)
            yield Label(
                "Type CLOSE and press enter to close everything at market.", classes="dialog-line"
            )
            yield Input(id="close-all-word", placeholder="CLOSE", compact=True)
            yield Label("", id="close-all-error", classes="field-error")
            yield Label(f"{key_hint(self.app, 'close_all.cancel')} cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#close-all-word", Input).focus()

    @on(Input.Submitted, "#close-all-word")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() == "CLOSE":
            self.dismiss(True)
        else:
            error = self.query_one("#close-all-error", Label)
            error.update("Type CLOSE (capitals) to confirm, or escape to cancel")
            error.display = True

    def action_cancel(self) -> None:
        self.dismiss(False)


class LeverageModal(ModalScreen[int | None]):
    """Pick an allowed leverage for the product, then confirm with enter/y. ``busy``, if given,
    says what open positions/orders make the exchange refuse a change."""

    BINDINGS = bindings("leverage")

    def __init__(
        self,
        product_label: str,
        allowed: tuple[int, ...],
        current: int,
        *,
        busy: str | None = None,
    ) -> None:
        super().__init__(classes="confirm-modal", id="leverage-modal")
        self._product_label = product_label
        self._allowed = allowed
        self._current = current
        self._busy = busy

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog" + (" -danger" if self._busy else "")) as dialog:
            dialog.border_title = "Set leverage"
            yield Static(
                f"Account leverage is {self._current}x (applies to margin and futures).\n"
                f"Allowed for {self._product_label}: " + ", ".join(f"{x}x" for x in self._allowed),
                classes="dialog-line",
                markup=False,
            )
            # the exchange's rule, said before the trader picks (as the hedge dialog does)
            yield Static(
                "The exchange refuses a change while positions or orders are open."
                + (f"\n{self._busy}" if self._busy else ""),
                id="leverage-rule",
                classes="dialog-line",
                markup=False,
            )
            yield OptionList(
                *[
                    Option(f"{x}x" + ("  (current)" if x == self._current else ""), id=str(x))
                    for x in self._allowed
                ],
                id="leverage-options",
            )
            yield Label(
                f"up/down choose   [b]enter[/b]/{key_hint(self.app, 'leverage.confirm')} set   "
                f"{key_hint(self.app, 'leverage.cancel')} cancel",
                classes="dialog-keys",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self._current in self._allowed:
            options.highlighted = self._allowed.index(self._current)
        else:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_confirm(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(self._allowed[options.highlighted])

    def action_cancel(self) -> None:
        self.dismiss(None)
