"""The service's account figures against the real sandbox: a long with a loss and two resting
limit orders. Every number is an exact reference worked out by hand, and the sandbox's own
summary (margin, freeMargin, equity, pnl) must agree with it."""

from __future__ import annotations

from decimal import Decimal

from service_support import Recorder

from tui.domain.models import OrderRequest, OrderType, Side
from tui.sandbox import SandboxServer
from tui.service import TradingService

D = Decimal


def limit(side: Side, amount: str, price: str) -> OrderRequest:
    return OrderRequest("BTC_PERP", side, OrderType.LIMIT, D(amount), price=D(price))


async def test_reserved_used_and_free_with_a_losing_long_and_resting_orders(
    service: tuple[TradingService, Recorder], sandbox: SandboxServer
) -> None:
    svc, rec = service
    assert svc.leverage == 5 and svc.prices["BTC_PERP"] == D("65010.00")
    # buy 0.01 at 65010 (taker 0.055 %): fee 0.357555, margin 650.10 / 5 = 130.02
    await svc.place_order(OrderRequest("BTC_PERP", Side.BUY, OrderType.MARKET, D("0.01")))
    await sandbox.set_price("BTC_PERP", D("64010"))  # uPnL -10.00
    # rests below the mark, adds to the long: 120 / 5 + 120 * 0.055 % = 24.066
    await svc.place_order(limit(Side.BUY, "0.002", "60000"))
    # rests above the mark, closes the 0.01 long and opens a 0.005 short:
    # 0.005 * 70000 / 5 + 0.015 * 70000 * 0.055 % = 70 + 0.5775
    await svc.place_order(limit(Side.SELL, "0.015", "70000"))

    def settled() -> bool:
        pnl = [p.pnl for p in svc.positions.values()]
        summary = svc.summary
        return (
            pnl == [D("-10")]
            and len(svc.orders) == 2
            and summary is not None
            and summary.pnl == D("-10")
        )

    await rec.wait_for(settled)
    await svc.resync()  # balances, summary and orders read after both orders
    figures = svc.account_figures()
    assert figures.balance == D("9999.642445")
    assert figures.upnl == D("-10")
    assert figures.equity == D("9989.642445")
    assert figures.position_margin == D("130.02")
    assert figures.reserved == D("24.066") + D("70.5775") == D("94.6435")
    assert figures.used == D("224.6635")
    assert figures.free == D("9764.978945")
    # the order form validates against the same Free
    assert svc.free_collateral() == D("9764.978945")
    # the exchange's own summary says the same
    summary = svc.summary
    assert summary is not None
    assert summary.equity == figures.equity
    assert summary.margin == figures.used
    assert summary.free_margin == figures.free

    # cancelling an order releases its reservation, here and at the exchange
    sell = next(o for o in svc.orders.values() if o.side is Side.SELL)
    await svc.cancel_order(sell.id)
    await svc.resync()
    assert svc.summary is not None and svc.summary.margin == D("154.086")
    assert svc.account_figures().reserved == D("24.066")
    assert svc.free_collateral() == D("9989.642445") - D("154.086") == svc.summary.free_margin
