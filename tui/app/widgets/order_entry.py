"""The order entry pane: a Margin and a Futures tab, each with its own :class:`OrderForm`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.compose import compose
from textual.containers import Vertical
from textual.widget import AwaitMount
from textual.widgets import TabbedContent, TabPane, Tabs

from tui.domain.models import Product

from .order_form import OrderForm, PlaceOrder

if TYPE_CHECKING:
    from tui.service import TradingService


class OrderEntry(Vertical):
    """The Margin/Futures tabs.

    Built in steps: the pane is empty in the desk's first frame (its ~130 widgets would delay
    that frame by ~400 ms, bench/RESULTS.md); the desk
    calls :meth:`build` right after it (the tabs and the Margin form, or the Futures form if
    its tab was asked for first), then :meth:`mount_futures`. Asking for a form before it is
    built (``o``, ``m``/``f``) builds it now and focuses it once it is mounted.
    """

    def __init__(
        self, service: TradingService, *, place: PlaceOrder | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.service = service
        self._margin = OrderForm(
            service, Product.MARGIN, place=place, id="form-margin", classes="order-form"
        )
        self._futures = OrderForm(
            service, Product.FUTURES, place=place, id="form-futures", classes="order-form"
        )
        self._product = Product.MARGIN  # the tab shown (or to show once built)
        self._building = False
        self._futures_mounting = False

    def compose(self) -> ComposeResult:
        if not self._building:  # see build()
            return
        initial = "tab-futures" if self._product is Product.FUTURES else "tab-margin"
        with TabbedContent(id="product-tabs", initial=initial):
            with TabPane("Margin", id="tab-margin"):
                yield self._margin
            with TabPane("Futures", id="tab-futures"):
                if self._futures_mounting:  # its tab is the one asked for: see mount_futures
                    yield self._futures

    def build(self) -> AwaitMount | None:
        """Mount the tabs and the form shown (once). Returns the mount to await, or None if
        already built (or the app is exiting)."""
        if self._building or not self.is_attached:
            return None
        self._building = True
        if self._product is Product.FUTURES:
            self._futures_mounting = True
            self._futures.block_reason = self._margin.block_reason
        mounting = self.mount_all(compose(self))
        self.call_next(self._built, mounting)
        return mounting

    async def _built(self, mounting: AwaitMount) -> None:
        await mounting
        for tabs in self.query(Tabs):  # m / f switch tabs: keep the strip out of the tab cycle
            tabs.can_focus = False

    def mount_futures(self) -> AwaitMount | None:
        """Build the Futures form (once): the desk asks one frame after :meth:`build`; showing
        the tab asks too."""
        if not self._building:
            return self.build()
        if self._futures_mounting:
            return None
        pane = self.query_one("#tab-futures", TabPane)
        if not pane.is_attached:  # the app is exiting
            return None
        self._futures_mounting = True
        # the desk sets this on every apply; until its next one, the new form follows the other
        self._futures.block_reason = self._margin.block_reason
        return pane.mount(self._futures)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-futures":
            self._product = Product.FUTURES
            self.mount_futures()
        elif event.pane.id == "tab-margin":
            self._product = Product.MARGIN

    @property
    def active_form(self) -> OrderForm:
        """The form of the tab shown (maybe not built yet: its ``focus_first`` then waits)."""
        return self._futures if self._product is Product.FUTURES else self._margin

    @property
    def forms(self) -> list[OrderForm]:
        """The forms that are built (the desk refreshes them on every apply)."""
        return [form for form in (self._margin, self._futures) if form.is_mounted]

    def show_product(self, product: Product) -> None:
        self._product = product
        if not self._building:
            self.build()  # its first tab is this one
            return
        if product is Product.FUTURES:
            self.mount_futures()
        tabs = self.query_one("#product-tabs", TabbedContent)
        tabs.active = "tab-futures" if product is Product.FUTURES else "tab-margin"


__all__ = ["OrderEntry"]
