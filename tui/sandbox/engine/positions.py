"""Fills applied to positions: open, increase, reduce, flip, close (and what closing cancels)."""

from __future__ import annotations

from decimal import Decimal

from tui.domain import risk
from tui.domain.models import Direction

from .. import errors
from .records import (
    AUTO_CANCELED_LIQUIDATION,
    AUTO_CANCELED_REDUCE_ONLY,
    COLLATERAL_ASSET,
    FILLED,
    HUNDRED,
    MONEY_Q,
    ZERO,
    D,
    SimOrder,
    SimPosition,
    cap,
)
from .triggers import Triggers


class Positions(Triggers):
    # -- execution ----------------------------------------------------------------------------
    def _execute(self, order: SimOrder, price: Decimal, role: str) -> None:
        """Fill what is left of ``order`` at ``price`` and apply it to the position(s)."""
        spec = self.catalog[order.market]
        qty = order.left
        if self._is_closing_only(order):
            reduce_qty, _, _ = self._split(order.market, order.side, order.position_side, qty)
            qty = min(qty, reduce_qty)
            if qty <= 0:
                self._finish(order, AUTO_CANCELED_REDUCE_ONLY)
                return
        rate = spec.market.maker_fee if role == "maker" else spec.market.taker_fee
        fee = (qty * price * rate / HUNDRED).quantize(MONEY_Q)
        order.reserved = ZERO
        # Out of the book before the position changes, so that closing the position cannot
        # auto-cancel the very order that closes it.
        self.orders.pop(order.id, None)
        self.touched_orders.add(order.id)
        self._executing[order.id] = order
        now = self.now()
        order.left = ZERO
        order.deal_stock += qty
        order.deal_money += qty * price
        order.deal_fee += fee
        order.mtime = now
        self.volumes[order.market] += qty
        deal = {
            "id": self._id("deal"),
            "orderId": order.id,
            "clientOrderId": order.client_order_id,
            "market": order.market,
            "time": now,
            "side": order.side,
            "role": 1 if role == "maker" else 2,
            "amount": qty,
            "price": price,
            "deal": qty * price,
            "fee": fee,
            "feeAsset": COLLATERAL_ASSET,
        }
        self.deals.append(deal)
        cap(self.deals)
        self._emit("deal", dict(deal))
        try:
            self._apply_trade(order, qty, price, fee)
        finally:
            self._executing.pop(order.id, None)
        self._finish(order, FILLED)
        self._oco_sibling_done(order)

    def _apply_trade(self, order: SimOrder, qty: Decimal, price: Decimal, fee: Decimal) -> None:
        self.balance = self.balance - fee
        market = order.market
        if order.position_side in ("LONG", "SHORT"):
            pos = self.position_for(market, order.position_side)
            opening = (order.position_side == "LONG") == (order.side == "buy")
            if opening:
                direction = "long" if order.position_side == "LONG" else "short"
                self._increase(pos, market, order.position_side, direction, qty, price, fee, order)
            elif pos is not None:
                self._reduce(pos, qty, price, fee, order)
            return
        direction = "long" if order.side == "buy" else "short"
        pos = self.position_for(market, "BOTH")
        if pos is None or pos.direction == direction:
            self._increase(pos, market, "BOTH", direction, qty, price, fee, order)
            return
        reduce = min(qty, pos.size)
        reduce_fee = (fee * reduce / qty).quantize(MONEY_Q)
        self._reduce(pos, reduce, price, reduce_fee, order)
        rest = qty - reduce
        if rest > 0 and not order.reduce_only:
            self._increase(None, market, "BOTH", direction, rest, price, fee - reduce_fee, order)

    def _increase(
        self,
        pos: SimPosition | None,
        market: str,
        position_side: str,
        direction: str,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        order: SimOrder,
    ) -> None:
        spec = self.catalog[market]
        add_margin = risk.required_margin(qty, price, self.effective_leverage(market)).quantize(
            MONEY_Q
        )
        now = self.now()
        funding_fee = ZERO
        if pos is None:
            pos = SimPosition(
                id=self._id("position"),
                market=market,
                position_side=position_side,
                direction=direction,
                size=qty,
                entry=price,
                margin=add_margin,
                open_time=now,
                modify_time=now,
            )
            self.positions[pos.id] = pos
            self.touched_positions.add(pos.id)
        else:
            funding_fee = self._settle_funding(pos)
            total = pos.size + qty
            entry = (pos.size * pos.entry + qty * price) / total
            pos.entry = entry.quantize(D(1).scaleb(-(spec.market.price_precision + 6)))
            pos.size = total
            pos.margin += add_margin
            pos.modify_time = now
        self._record_event(pos, order, qty, price, fee, funding_fee, None, None)

    def _reduce(
        self,
        pos: SimPosition,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        order: SimOrder,
    ) -> None:
        funding_fee = self._settle_funding(pos)
        pnl = risk.unrealized_pnl(Direction(pos.direction), qty, pos.entry, price).quantize(MONEY_Q)
        released = (pos.margin * qty / pos.size).quantize(MONEY_Q)
        self.balance = self.balance + pnl
        pos.size -= qty
        pos.margin = pos.margin - released if pos.size > 0 else ZERO
        pos.realized_pnl += pnl - fee
        pos.modify_time = self.now()
        self._record_event(pos, order, qty, price, fee, funding_fee, pnl, None)
        if pos.size == 0:
            self._close_position(pos, AUTO_CANCELED_REDUCE_ONLY)

    def _close_position(self, pos: SimPosition, cancel_status: str) -> None:
        self.positions.pop(pos.id, None)
        self.touched_positions.add(pos.id)
        # Orders that can only reduce this position are pointless now (WhiteBIT:
        # AUTO_CANCELED_REDUCE_ONLY, or AUTO_CANCELED_LIQUIDATION after a liquidation).
        for order in sorted(self.orders.values(), key=lambda o: o.id):
            if order.market != pos.market or order.position_side != pos.position_side:
                continue
            group = self.oco.get(order.oco_id) if order.oco_id is not None else None
            if group is not None and (
                group.take_profit_id in self._executing or group.stop_loss_id in self._executing
            ):
                continue  # its sibling is filling: the OCO rule cancels it (status CANCELED)
            if cancel_status == AUTO_CANCELED_LIQUIDATION or self._is_closing_only(order):
                self._cancel(order, cancel_status)
                if order.oco_id is not None and order.oco_id in self.oco:
                    self.cancel_oco(self.oco[order.oco_id])

    # -- position close -------------------------------------------------------------------------
    def close_position(
        self, position_id: int, market: str, position_side: str | None = None
    ) -> SimOrder:
        self.spec(market)
        pos = self.positions.get(position_id)
        mismatch = (
            position_side is not None
            and pos is not None
            and pos.position_side != "BOTH"  # one-way: the side is informational
            and position_side.upper() != pos.position_side
        )
        if pos is None or pos.market != market or mismatch:
            raise errors.inner(104, "positionId", "position doesn't exist.")
        side = "sell" if pos.direction == "long" else "buy"
        now = self.now()
        order = SimOrder(
            id=self._id("order"),
            market=market,
            side=side,
            type="market",
            amount=pos.size,
            left=pos.size,
            ctime=now,
            mtime=now,
            position_side=pos.position_side,
            reduce_only=True,
        )
        self._execute(order, self.prices[market], "taker")
        return order
