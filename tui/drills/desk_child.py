"""A desk process for drill 13, driven without a screen: the service layer in a child process.

``python -I -c 'import sys; sys.path.insert(0, ROOT); from tui.drills.desk_child import main;
main()' SETTINGS_JSON`` starts a ``TradingService`` on the given endpoint with the given journal
(``pending_path``) and nonce file, places the listed limit orders one after another (an order
whose outcome is uncertain stays in the journal; the next one goes anyway), writes one line per
step to stdout, then waits to be killed. The drill SIGKILLs it with an order in flight.
"""

from __future__ import annotations

import asyncio
import json
import sys
from decimal import Decimal
from pathlib import Path

from tui.domain.models import OrderRequest, OrderType, Side
from tui.service import CommandError, TradingService


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _run(spec: dict[str, object]) -> None:
    svc = TradingService.for_whitebit(
        str(spec["rest_url"]),
        str(spec["ws_url"]),
        api_key=str(spec["api_key"]),
        api_secret=str(spec["api_secret"]),
        nonce_path=Path(str(spec["nonce_path"])),
        pending_path=Path(str(spec["pending_path"])),
        poll_interval=0.5,
    )
    await svc.start()
    _say("started")
    orders = spec["orders"]
    assert isinstance(orders, list)
    for cid, price in orders:
        request = OrderRequest(
            "BTC_PERP",
            Side.BUY,
            OrderType.LIMIT,
            Decimal("0.001"),
            price=Decimal(price),
            client_order_id=cid,
        )
        try:
            await svc.place_order(request)
        except CommandError as exc:
            _say(f"uncertain {cid}" if exc.uncertain else f"refused {cid}")
        else:
            _say(f"placed {cid}")
    await asyncio.Event().wait()  # an order may still be in flight: wait for the kill


def main() -> None:
    asyncio.run(_run(json.loads(sys.argv[1])))
