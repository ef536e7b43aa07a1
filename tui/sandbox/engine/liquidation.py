"""Margin calls and liquidation, evaluated after every price change.

Margin positions (smallest margin first) are evaluated before futures: past the margin-call price
-> ``liq_stage = "margin_call"`` (event type 1); past the liquidation price -> **partial
liquidation**: 25 % of the size (rounded down to the amount step) is closed at the last price, its
loss and the taker fee are taken from the position's margin (the margin is *not* released), which
restores equity above maintenance (event type 2). If the position is still past its (new)
liquidation price, or is hit again before it recovers out of the margin-call zone, it is **fully
liquidated**: its pending orders are cancelled with ``AUTO_CANCELED_LIQUIDATION`` and its remaining
margin is lost (``B -= margin``; realized PnL ``-margin``). Leaving the margin-call zone resets the
stage.
"""

from __future__ import annotations

from decimal import Decimal

from tui.domain import risk
from tui.domain.models import Direction

from .positions import Positions
from .records import (
    AUTO_CANCELED_LIQUIDATION,
    FILLED,
    HUNDRED,
    MONEY_Q,
    ZERO,
    D,
    SimOrder,
    SimPosition,
)

#: Share of a position closed by one partial liquidation (WhiteBIT: "20-30 %").
PARTIAL_LIQUIDATION_PERCENT = D(25)


class Liquidation(Positions):
    # -- liquidation ----------------------------------------------------------------------------
    def _past(self, pos: SimPosition, level: Decimal | None, last: Decimal) -> bool:
        if level is None:
            return False
        return last <= level if pos.direction == "long" else last >= level

    def _check_liquidations(self, market: str) -> None:
        last = self.prices[market]
        for pos in sorted(
            [p for p in self.positions.values() if p.market == market], key=lambda p: p.margin
        ):
            if pos.id not in self.positions:
                continue
            if self._past(pos, self.liquidation_price(pos), last):
                if pos.partially_liquidated:
                    self._liquidate_fully(pos, last)
                else:
                    self._liquidate_partially(pos, last)
            elif self._past(pos, self.margin_call_price(pos), last):
                if pos.liq_stage != "margin_call":
                    pos.liq_stage = "margin_call"
                    pos.modify_time = self.now()
                    self._emit("margin_event", 1, pos.copy())
            elif pos.liq_stage is not None or pos.partially_liquidated:
                pos.liq_stage = None
                pos.partially_liquidated = False
                self.touched_positions.add(pos.id)

    def _liquidation_order(self, pos: SimPosition, qty: Decimal, price: Decimal) -> SimOrder:
        spec = self.catalog[pos.market]
        now = self.now()
        fee = (qty * price * spec.market.taker_fee / HUNDRED).quantize(MONEY_Q)
        order = SimOrder(
            id=self._id("order"),
            market=pos.market,
            side="sell" if pos.direction == "long" else "buy",
            type="market",
            amount=qty,
            left=ZERO,
            ctime=now,
            mtime=now,
            deal_stock=qty,
            deal_money=qty * price,
            deal_fee=fee,
            position_side=pos.position_side,
            reduce_only=True,
            source="liquidation",
        )
        return order

    def _liquidate_partially(self, pos: SimPosition, last: Decimal) -> None:
        spec = self.catalog[pos.market]
        qty = risk.percent_of(pos.size, PARTIAL_LIQUIDATION_PERCENT, spec.market.amount_step)
        if qty <= 0 or pos.size - qty < spec.market.min_amount:
            self._liquidate_fully(pos, last)
            return
        order = self._liquidation_order(pos, qty, last)
        funding_fee = self._settle_funding(pos)
        pnl = risk.unrealized_pnl(Direction(pos.direction), qty, pos.entry, last).quantize(MONEY_Q)
        fee = order.deal_fee
        self.balance = self.balance + pnl - fee
        pos.margin = pos.margin + pnl - fee  # the loss is paid from the position's own margin
        pos.size -= qty
        pos.realized_pnl += pnl - fee
        pos.partially_liquidated = True
        pos.liq_stage = "margin_call"
        pos.modify_time = self.now()
        self._finish(order, FILLED, event=False)
        self._record_event(pos, order, qty, last, fee, funding_fee, pnl, "liquidation")
        self._emit("margin_event", 2, pos.copy())
        if pos.margin <= 0 or self._past(pos, self.liquidation_price(pos), last):
            self._liquidate_fully(pos, last)

    def _liquidate_fully(self, pos: SimPosition, last: Decimal) -> None:
        qty = pos.size
        order = self._liquidation_order(pos, qty, last)
        order.deal_fee = ZERO  # the lost margin covers everything
        funding_fee = self._settle_funding(pos)
        lost = max(pos.margin, ZERO)
        self.balance = self.balance - lost
        pos.realized_pnl -= lost
        pos.size = ZERO
        pos.margin = ZERO
        pos.modify_time = self.now()
        self._finish(order, FILLED, event=False)
        self._record_event(pos, order, qty, last, ZERO, funding_fee, -lost, "liquidation")
        closed = pos.copy()
        closed.size = qty
        self._emit("margin_event", 2, closed)
        self._close_position(pos, AUTO_CANCELED_LIQUIDATION)
