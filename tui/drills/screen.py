"""The real desk in a drill: ``CollateralApp`` run headless (``App.run_test``) on a drill's service,
and what its screen shows, read through public Textual APIs only (queries, ``render()``, border
subtitles, CSS classes). Drills assert on this, not only on service events: a fault is handled
when the trader can see it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Label

from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DeskScreen
from tui.app.widgets.order_form import OrderForm
from tui.domain.models import Product
from tui.service import TradingService

from .base import DrillFailure

SIZE = (160, 50)


@asynccontextmanager
async def desk_app(
    service: TradingService, **options: Any
) -> AsyncIterator[tuple[CollateralApp, Pilot[None]]]:
    """The desk on ``service`` (the app starts the service, and stops it on exit); ``options``
    go to ``CollateralApp`` (e.g. ``confirm_limit_orders``)."""
    app = CollateralApp(service, clock=lambda: "12:00:00", theme="textual-dark", **options)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        yield app, pilot


def text_of(widget: Widget) -> str:
    """What ``widget`` renders, as plain text."""
    return str(widget.render())


def desk(app: CollateralApp) -> DeskScreen:
    if app.desk is None:
        raise DrillFailure("the desk screen is not up")
    return app.desk


def stream_label(app: CollateralApp, stream: str) -> Label:
    return desk(app).query_one(f"#status-stream-{stream}", Label)


def toasts(app: CollateralApp) -> list[str]:
    """The notifications on screen now (title and message of each toast)."""
    return [text_of(toast) for toast in app.screen.query("Toast")]


def order_rows(app: CollateralApp) -> dict[str, str]:
    """The open-orders pane's rows: order id -> the row's cells as text."""
    table = desk(app).orders_table
    return {key: " ".join(cell.text for cell in table.cells(key) or ()) for key in table.row_keys}


async def wait_screen(
    pilot: Pilot[Any], condition: Callable[[], object], timeout: float, what: str
) -> float:
    """Let the app run until ``condition()`` holds; the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise DrillFailure(
                f"timed out after {timeout:g} s waiting for the screen to show {what}"
            )
        await pilot.pause(0.03)
    return time.monotonic() - start


async def ready(app: CollateralApp, pilot: Pilot[Any], timeout: float = 10.0) -> DeskScreen:
    """The service started, the desk applied it and the order entry is built and enabled."""
    screen = desk(app)
    await wait_screen(pilot, lambda: screen.started, timeout, "the started service")
    await wait_screen(
        pilot,
        lambda: screen.entry.forms and all(f.block_reason is None for f in screen.entry.forms),
        timeout,
        "an enabled order entry",
    )
    return screen


async def order_form(app: CollateralApp, pilot: Pilot[Any], product: Product) -> OrderForm:
    """The desk's real order form for ``product``, built and shown."""
    entry = desk(app).entry
    entry.show_product(product)
    await wait_screen(
        pilot,
        lambda: entry.active_form.product is product and entry.active_form.is_mounted,
        5,
        f"the {product.value} order form",
    )
    return entry.active_form


def form_status(form: OrderForm) -> str:
    return text_of(form.query_one("#form-status", Label))


def field_message(form: OrderForm, field: str) -> str:
    """The message shown next to ``field`` ("" when none is displayed)."""
    label = form.query_one(f"#err-{field}", Label)
    return text_of(label) if label.display else ""
