"""Regenerate the README's SVG screenshots from the real app on a sandbox exchange.

    python -m tui.app.screenshots [--out screenshots]

The sandbox runs with static prices in its own thread; the desk gets three positions through
the service (one driven close to its liquidation price with the sandbox's price control) and a
resting order, then each screen is exported with Textual's own screenshot support.
The clock is fixed and data ages hidden so the images only change when the app does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

from textual.pilot import Pilot

from tui.domain.models import OrderRequest, OrderType, Side, StreamState
from tui.sandbox import SandboxConfig, start_sandbox_thread
from tui.service import TradingService

from .main_app import CollateralApp

Step = Callable[[Pilot[None]], Awaitable[None]]


async def _wait(pilot: Pilot[None], condition: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the desk did not reach the expected state")
        await pilot.pause(0.05)


async def _prepare(pilot: Pilot[None], set_price: Callable[[str, Decimal], None]) -> None:
    app = pilot.app
    assert isinstance(app, CollateralApp)
    service = app.service
    await _wait(pilot, lambda: app.desk is not None and app.desk.started)
    await _wait(
        pilot,
        lambda: all(service.stream_state(s) is StreamState.LIVE for s in ("positions", "prices")),
    )
    await service.set_leverage(20)

    def market(m: str, side: Side, amount: str) -> OrderRequest:
        return OrderRequest(market=m, side=side, type=OrderType.MARKET, amount=Decimal(amount))

    await service.place_order(market("BTC_PERP", Side.BUY, "0.05"))
    await service.place_order(market("ETH_PERP", Side.SELL, "0.8"))
    await service.place_order(market("BTC_USDT", Side.BUY, "0.02"))
    limit = (service.prices["ETH_USDT"] * Decimal("0.9")).quantize(Decimal("0.01"))
    await service.place_order(
        OrderRequest(
            market="ETH_USDT",
            side=Side.BUY,
            type=OrderType.LIMIT,
            amount=Decimal("0.5"),
            price=limit,
        )
    )
    await _wait(pilot, lambda: len(service.positions) == 3)
    # Drive BTC_PERP to about 3 % above its long's liquidation price: red on the chart.
    (btc,) = [p for p in service.positions.values() if p.market == "BTC_PERP"]
    assert btc.liquidation_price is not None
    set_price("BTC_PERP", (btc.liquidation_price * Decimal("1.03")).quantize(Decimal("0.01")))
    await _wait(pilot, lambda: service.prices["BTC_PERP"] < btc.base_price)  # type: ignore[operator]
    await pilot.pause(1.5)  # a stream snapshot and a couple of 4 Hz refreshes


async def _shoot(
    out: Path,
    name: str,
    size: tuple[int, int],
    steps: list[Step],
    rest_url: str,
    ws_url: str,
    cfg: SandboxConfig,
    set_price: Callable[[str, Decimal], None],
    show_times: bool,
) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        service = TradingService.for_whitebit(
            rest_url,
            ws_url,
            api_key=cfg.api_key,
            api_secret=cfg.api_secret,
            nonce_path=Path(tmp) / "nonce",
            poll_interval=0.5,
        )
        app = CollateralApp(
            service, clock=lambda: "12:00:00", show_ages=show_times, theme="textual-dark"
        )
        async with app.run_test(size=size) as pilot:
            await _prepare(pilot, set_price)
            for step in steps:
                await step(pilot)
                await pilot.pause(0.6)
            path = Path(app.save_screenshot(filename=f"{name}.svg", path=str(out)))
            # Leave the account flat for the next shot.
            await service.close_all_positions()
            for order_id in list(service.orders):
                await service.cancel_order(order_id)
        return path


def _keys(*keys: str) -> Step:
    async def press(pilot: Pilot[None]) -> None:
        await pilot.press(*keys)

    return press


# (file name, terminal size, keys to press, show timestamps and data ages)
SHOTS: list[tuple[str, tuple[int, int], list[Step], bool]] = [
    ("desk-120x40", (120, 40), [], False),
    ("desk-80x24", (80, 24), [], False),
    ("close-position", (120, 40), [_keys("c")], False),
    (
        "order-form-error",
        (120, 40),
        [_keys("f", "o", "0", ".", "0", "0", "0", "0", "0", "1", "tab", "1")],
        False,
    ),
    (
        "order-confirm",
        (120, 40),
        [_keys("f", "o", "0", ".", "0", "1", "tab", "6", "0", "0", "0", "0", "enter")],
        False,
    ),
    ("events", (120, 40), [_keys("e")], True),
    ("help", (120, 40), [_keys("question_mark")], False),
    ("history", (120, 40), [_keys("H")], True),
]


async def generate(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, steps, show_times in SHOTS:
        cfg = SandboxConfig(
            port=0, static_prices=True, seed=1, push_interval=0.2, tick_interval=0.2
        )
        handle = start_sandbox_thread(cfg)
        try:
            written.append(
                await _shoot(
                    out,
                    name,
                    size,
                    steps,
                    handle.rest_url,
                    handle.ws_url,
                    cfg,
                    handle.set_price,
                    show_times,
                )
            )
        finally:
            handle.stop()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.app.screenshots")
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args(argv)
    for path in asyncio.run(generate(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
