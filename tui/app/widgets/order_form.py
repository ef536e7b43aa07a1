"""One product's order form (the Margin and Futures tabs around two of them: order_entry.py).

The form validates as the trader types with ``tui.domain.validation.validate_order_form``
(the one shared rule set), shows each message next to its field, shows a live risk preview,
and hands a validated ``OrderRequest`` to its host: the ``place`` callback the desk gives it,
called at once (or, without one, an :class:`OrderForm.Submit` message to its screen). It never
sends anything itself. The desk screen places the order and tells the form when it is in flight
/ done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from tui.domain.models import OrderRequest, OrderType, Product
from tui.domain.preview import RiskPreview
from tui.domain.validation import OrderForm as FormData
from tui.domain.validation import validate_order_form

from ..actions import bindings
from ..presenters import preview_text

if TYPE_CHECKING:
    from tui.service import TradingService

TYPE_OPTIONS: list[tuple[str, OrderType]] = [
    ("limit", OrderType.LIMIT),
    ("market", OrderType.MARKET),
    ("stop-limit", OrderType.STOP_LIMIT),
    ("trigger-market", OrderType.TRIGGER_MARKET),
    ("OCO", OrderType.OCO),
]

#: Which price inputs each type shows, with the label it gets for that type. The label is the
#: price's meaning: switching type clears an input whose label changes (a stop-limit's limit
#: price is not an OCO's take-profit price), and keeps one whose label stays.
PRICE_FIELDS: dict[OrderType, dict[str, str]] = {
    OrderType.LIMIT: {"price": "Price"},
    OrderType.MARKET: {},
    OrderType.STOP_LIMIT: {"price": "Limit", "activation_price": "Trigger"},
    OrderType.TRIGGER_MARKET: {"activation_price": "Trigger"},
    OrderType.OCO: {
        "price": "TP price",
        "activation_price": "Stop",
        "stop_limit_price": "Stop lim",
    },
}
PRICE_INPUTS = ("price", "activation_price", "stop_limit_price")
#: Errors that belong to no single input are shown on one general line.
GENERAL_ERRORS = ("leverage", "side", "type", "client_order_id")


class FieldInput(Input):
    """A text field of the form. An ``alt+`` key is never text: a terminal sends escape then a
    letter as one alt+letter key, and that must reach the desk's key (escape then ``c``
    closes a position from inside a field) instead of typing the letter."""

    def on_key(self, event: events.Key) -> None:
        if event.key.startswith("alt+"):
            event.prevent_default()  # Input's own key handling (typing) is skipped; it bubbles


#: The host's order placement: ``place(form, request)``, called from the key's own step.
PlaceOrder = Callable[["OrderForm", OrderRequest], None]


class OrderForm(Vertical):
    """One product's order form."""

    # Priority bindings (tui.app.actions): checked as the key arrives, before the keys behind it
    # are routed to the focused field, so fast typing after a tab goes to the next field
    # (see _focus_now).
    BINDINGS = bindings("entry")

    class Submit(Message):
        def __init__(self, form: OrderForm, request: OrderRequest) -> None:
            super().__init__()
            self.form = form
            self.request = request

    class Leave(Message):
        """Tab past the last field (or shift+tab before the first): go to another pane."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(
        self,
        service: TradingService,
        product: Product,
        *,
        place: PlaceOrder | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.service = service
        self.product = product
        self.place = place
        self.touched: set[str] = set()
        self.show_all_errors = False
        self.errors: dict[str, str] = {}
        self.request: OrderRequest | None = None
        #: The risk preview of ``request`` (the order confirmation shows it).
        self.preview: RiskPreview | None = None
        #: The label each price input's value was typed under (see PRICE_FIELDS).
        self._meaning: dict[str, str] = {}
        self.in_flight = False
        self.block_reason: str | None = None
        self._markets_key: tuple[str, ...] = ()
        self._status_is_error = False
        self._status_is_block = False
        self._focus_on_mount = False
        # what each message label shows now (labels start empty and hidden by the stylesheet)
        self._shown: dict[str, str] = {
            f"err-{f}": ""
            for f in ("market", "side", "type", "amount", *PRICE_INPUTS, "position_side", "general")
        }

    # ----------------------------------------------------------------- layout

    def _row(self, label: str, widget: Widget, field: str) -> ComposeResult:
        with Horizontal(classes="field-row", id=f"row-{field}"):
            yield Label(label, classes="field-label", id=f"label-{field}")
            yield widget
        yield Label("", classes="field-error", id=f"err-{field}")

    def compose(self) -> ComposeResult:
        yield from self._row(
            "Market",
            Select[str]([], id="market", compact=True, prompt="market"),
            "market",
        )
        yield from self._row(
            "Side",
            Select(
                [("buy", "buy"), ("sell", "sell")],
                id="side",
                value="buy",
                allow_blank=False,
                compact=True,
            ),
            "side",
        )
        yield from self._row(
            "Type",
            Select(TYPE_OPTIONS, id="type", value=OrderType.LIMIT, allow_blank=False, compact=True),
            "type",
        )
        yield from self._row(
            "Amount", FieldInput(id="amount", compact=True, placeholder="amount"), "amount"
        )
        yield from self._row("Price", FieldInput(id="price", compact=True), "price")
        yield from self._row(
            "Trigger", FieldInput(id="activation_price", compact=True), "activation_price"
        )
        yield from self._row(
            "Stop lim", FieldInput(id="stop_limit_price", compact=True), "stop_limit_price"
        )
        if self.product is Product.FUTURES:  # margin pairs net one way: never a position side
            yield from self._row(
                "Pos side",
                Select(
                    [("LONG", "LONG"), ("SHORT", "SHORT")],
                    id="position_side",
                    compact=True,
                    prompt="LONG/SHORT",
                ),
                "position_side",
            )
        yield Label("", classes="field-error", id="err-general")
        yield Static("", id="preview", classes="preview")
        with Horizontal(classes="submit-row"):
            yield Button("Place order", id="submit", compact=True, variant="primary")
        yield Label("", id="form-status")

    def on_mount(self) -> None:
        self.refresh_markets()
        self._apply_type()
        self.refresh_state()
        if self._focus_on_mount:  # asked for before it was built: once its tab is shown
            self.call_after_refresh(self.focus_first)

    # ----------------------------------------------------------------- inputs from above

    def refresh_markets(self) -> None:
        markets = tuple(m.name for m in self.service.markets_for(self.product))
        if markets == self._markets_key:
            return
        self._markets_key = markets
        select = self.query_one("#market", Select)
        current = select.value
        select.set_options([(name, name) for name in markets])
        if current in markets:
            select.value = current
        elif markets:
            select.value = markets[0]

    def refresh_state(self) -> None:
        """Re-run validation and the preview (mark price, leverage, hedge mode may have moved)."""
        if self.product is Product.FUTURES:
            self.query_one("#row-position_side").display = self.hedged
        self.validate()
        self._update_submit()

    def set_block_reason(self, reason: str | None) -> None:
        if reason != self.block_reason:
            self.block_reason = reason
            self._update_submit()

    def set_in_flight(self, in_flight: bool) -> None:
        self.in_flight = in_flight
        if in_flight:
            self.set_status("Sending...", error=False)
        self._update_submit()

    def set_status(self, text: str, *, error: bool) -> None:
        self._status_is_block = False
        status = self.query_one("#form-status", Label)
        # A layout pass reflows the whole desk (~15 ms), a frame a keypress can land behind:
        # skip it when the label stays one line.
        width = status.content_region.width
        before = str(status.content)
        one_line = (
            status.size.height == 1 and 0 < width and cell_len(before) <= width >= cell_len(text)
        )
        status.update(text, layout=not one_line)
        status.set_class(error, "-error")
        self._status_is_error = error

    def set_values(self, **values: str) -> None:
        """Fill inputs programmatically (used by the command palette and tests)."""
        for field, value in values.items():
            widget = self.query_one(f"#{field}")
            if isinstance(widget, (Input, Select)):
                widget.value = value
            self.touched.add(field)
        self.validate()

    # ----------------------------------------------------------------- reading the form

    @property
    def hedged(self) -> bool:
        """Hedge mode applies to futures only: margin pairs always net one way."""
        return self.service.hedge_mode and self.product is Product.FUTURES

    @property
    def order_type(self) -> OrderType:
        value = self.query_one("#type", Select).value
        return value if isinstance(value, OrderType) else OrderType.LIMIT

    def form_data(self) -> FormData:
        market = self.query_one("#market", Select).value
        side = self.query_one("#side", Select).value
        ps = self.query_one("#position_side", Select).value if self.hedged else None
        return FormData(
            market=market if isinstance(market, str) else "",
            side=side if isinstance(side, str) else "",
            type=self.order_type,
            amount=self.query_one("#amount", Input).value,
            price=self.query_one("#price", Input).value,
            activation_price=self.query_one("#activation_price", Input).value,
            stop_limit_price=self.query_one("#stop_limit_price", Input).value,
            position_side=ps if isinstance(ps, str) else None,
        )

    def validate(self) -> None:
        data = self.form_data()
        market = self.service.markets.get(data.market)
        preview: RiskPreview | None = None
        if market is None:
            self.errors = {"market": "Pick a market" if self._markets_key else "No markets yet"}
            self.request = None
        else:
            result = validate_order_form(
                data,
                market=market,
                hedge_mode=self.service.hedge_mode,
                free_collateral=self.service.free_collateral(),
                leverage=self.service.leverage,
                mark_price=self.service.mark_price(market.name),
                positions=tuple(self.service.positions.values()),
            )
            self.errors = dict(result.errors)
            self.request = result.request
            preview = result.preview
        self.preview = preview
        quote = market.quote if market else ""
        text = preview_text(preview, quote)
        if text != self._shown.get("preview"):
            self._shown["preview"] = text
            self.query_one("#preview", Static).update(text)
        self._show_errors()

    def _set_label(self, label_id: str, text: str) -> None:
        """Update a message label only when its text changes (each update costs a layout)."""
        if self._shown.get(label_id) == text:
            return
        self._shown[label_id] = text
        label = self.query_one(f"#{label_id}", Label)
        label.update(text)
        label.display = bool(text)

    def _visible(self, field: str) -> bool:
        return self.show_all_errors or field in self.touched

    def _show_errors(self) -> None:
        for field in ("market", "side", "type", "amount", *PRICE_INPUTS, "position_side"):
            message = self.errors.get(field, "")
            # market-level problems (no mark price, bad market) are always worth showing
            if field != "market" and not self._visible(field):
                message = ""
            if field in PRICE_INPUTS and field not in PRICE_FIELDS[self.order_type]:
                message = ""  # hidden input: no message either
            if field == "position_side" and self.product is not Product.FUTURES:
                continue  # no such field on margin (the form never sends one there)
            self._set_label(f"err-{field}", message)
        general = [self.errors[f] for f in GENERAL_ERRORS if f in self.errors]
        self._set_label("err-general", "\n".join(general))

    def _update_submit(self) -> None:
        button = self.query_one("#submit", Button)
        button.disabled = self.in_flight or self.block_reason is not None
        if self.in_flight:
            return
        if self.block_reason is not None:
            self.set_status(self.block_reason, error=True)
            self._status_is_block = True
        elif self._status_is_block:
            self.set_status("", error=False)

    def _apply_type(self) -> None:
        fields = PRICE_FIELDS[self.order_type]
        for name in PRICE_INPUTS:
            self.query_one(f"#row-{name}").display = name in fields
            if name in fields:
                label = fields[name]
                self.query_one(f"#label-{name}", Label).update(label)
                if self._meaning.get(name, label) != label:  # a new meaning: not the old price
                    self._clear_input(name)
                self._meaning[name] = label

    def _clear_input(self, name: str) -> None:
        """Empty an input without it counting as the trader's edit (no Changed message: its
        handler would also wipe the status line)."""
        field = self.query_one(f"#{name}", Input)
        with field.prevent(Input.Changed):
            field.value = ""
        self.touched.discard(name)

    # ----------------------------------------------------------------- events

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "type":
            self._apply_type()
        if event.select.id and event.select.id != "market":
            self.touched.add(event.select.id)
        self._clear_stale_status()
        self.validate()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self.touched.add(event.input.id)
        self._clear_stale_status()
        self.validate()

    def _clear_stale_status(self) -> None:
        """The form changed: an old "Not sent"/"Rejected"/"Placed" line no longer applies."""
        if not self.in_flight and not self._status_is_block:
            self.set_status("", error=False)

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#submit")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    def submit(self) -> bool:
        """Validate everything and, if the order is valid, hand it to the host (``place``, or a
        Submit message). Returns True if handed over."""
        self.show_all_errors = True
        self.validate()
        if self.in_flight:
            self.set_status("An order is already in flight", error=True)
            return False
        if self.block_reason is not None:
            self.set_status(self.block_reason, error=True)
            return False
        if self.request is None:
            first = next(iter(self.errors.values()), "Fix the form")
            self.set_status(f"Not sent: {first}", error=True)
            return False
        if self.place is not None:
            self.place(self, self.request)
        else:
            self.screen.post_message(self.Submit(self, self.request))
        return True

    def order_done(self, text: str, *, error: bool) -> None:
        """The order was placed, refused or not sent. Once placed, the amount is cleared
        (market, side, type and prices stay) so that another Enter cannot repeat it."""
        self.in_flight = False
        if not error:
            self._clear_input("amount")
            self.show_all_errors = False
            self.touched.clear()
            self.validate()
        self.set_status(text, error=error)
        self._update_submit()

    # ----------------------------------------------------------------- focus

    def fields(self) -> list[Widget]:
        return [w for w in self.screen.focus_chain if self in w.ancestors]

    def focus_first(self) -> None:
        if not self.is_mounted:  # the Futures form, asked for before it is built
            self._focus_on_mount = True
            return
        fields = self.fields()
        target = next((w for w in fields if w.id == "amount"), fields[0] if fields else None)
        if target is not None:
            _focus_now(target)

    def action_move(self, step: int) -> None:
        fields = self.fields()
        focused = self.screen.focused
        if focused not in fields:
            self.focus_first()
            return
        index = fields.index(focused) + step
        if 0 <= index < len(fields):
            _focus_now(fields[index])
        else:
            self.post_message(self.Leave(step))


def _focus_now(widget: Widget) -> None:
    """Focus ``widget`` before the next key is handled. ``Widget.focus()`` defers the move
    (``call_later``), so keys already queued behind the one that moved it (fast typing, a
    pasted sequence: ``0.001<tab>30000``) would still land in the field being left."""
    widget.screen.set_focus(widget)


__all__ = ["OrderForm", "PlaceOrder"]
