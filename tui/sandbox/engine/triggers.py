"""Price changes and what they set off: resting fills, stop triggers, OCO groups.

- One last price per market. A seeded random walk moves each price every tick by a uniform
  ``+-volatility_bps`` basis points (integer arithmetic on Decimal, no float); ``static_prices``
  freezes it. ``set_price`` sets a price and re-evaluates that market at once.
- There is no mark price in WhiteBIT's API; the sandbox uses the last price as the mark for PnL,
  triggers and liquidation.
- Stops: ``stop limit`` / ``stop market`` trigger when the last price reaches ``activation_price``
  (buy: last >= activation, sell: last <= activation). An activated stop limit that is marketable
  takes at the last price, otherwise it rests like a limit.
- OCO = a take-profit limit leg + a stop-limit leg; when either leg fills or the stop triggers,
  the other leg is cancelled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tui.domain import risk

from .. import errors
from ..catalog import MarketSpec
from .book import Book
from .records import CANCELED, OPEN, ZERO, D, OcoGroup, SimOrder


class Triggers(Book):
    # -- OCO ------------------------------------------------------------------------------------
    def place_oco(
        self,
        market: str,
        side: str,
        amount: Decimal,
        price: Decimal,
        activation_price: Decimal,
        stop_limit_price: Decimal,
        *,
        client_order_id: str = "",
        position_side: str | None = None,
        reduce_only: bool = False,
        stp: str = "no",
    ) -> OcoGroup:
        spec = self.spec(market)
        self._check_price(spec, price)
        self._check_price(spec, activation_price, "activation_price")
        self._check_price(spec, stop_limit_price, "stop_limit_price")
        last = self.prices[market]
        # Take profit must sit on the profitable side of the market, the stop on the other.
        tp_ok = price > last if side == "sell" else price < last
        sl_ok = activation_price < last if side == "sell" else activation_price > last
        if not tp_ok:
            raise errors.inner(105, "price", "Wrong take profit price.")
        if not sl_ok:
            raise errors.inner(106, "activation_price", "Wrong stop loss activation price.")
        common: dict[str, Any] = {
            "client_order_id": client_order_id,
            "post_only": False,
            "ioc": False,
            "position_side": position_side,
            "reduce_only": reduce_only,
            "stp": stp,
        }
        # One reservation for the group (only one leg can fill): the larger of the two prices.
        tp = self._build_order(
            "limit",
            market,
            side,
            amount,
            price=price,
            activation_price=None,
            extra_reserve_price=stop_limit_price,
            **common,
        )
        sl = self._build_order(
            "stop limit",
            market,
            side,
            amount,
            price=stop_limit_price,
            activation_price=activation_price,
            check_balance=False,
            **common,
        )
        sl.reserved = ZERO
        group = OcoGroup(
            id=self._id("order"),
            market=market,
            take_profit_id=tp.id,
            stop_loss_id=sl.id,
            reduce_only=reduce_only,
            client_order_id=client_order_id,
        )
        for leg, role in ((tp, "take_profit"), (sl, "stop_loss")):
            leg.oco_id = group.id
            leg.oco_leg = role
            self.orders[leg.id] = leg
            self._emit("order", 1, leg.copy())
        self.oco[group.id] = group
        self.evaluate(market)
        return group

    def oco_legs(self, group: OcoGroup) -> tuple[SimOrder, SimOrder]:
        return self.find_order(group.take_profit_id), self.find_order(group.stop_loss_id)

    def find_oco(self, market: str, oco_id: int | None, client_order_id: str | None) -> OcoGroup:
        for group in self.oco.values():
            if group.market != market:
                continue
            if oco_id is not None and oco_id in (
                group.id,
                group.take_profit_id,
                group.stop_loss_id,
            ):
                return group
            if client_order_id and group.client_order_id == client_order_id:
                return group
        raise errors.not_found("orderId" if client_order_id is None else "clientOrderId")

    def cancel_oco(self, group: OcoGroup) -> tuple[SimOrder, SimOrder]:
        tp, sl = self.oco_legs(group)
        for leg in (tp, sl):
            if leg.status == OPEN:
                self._cancel(leg, CANCELED)
        self.oco.pop(group.id, None)
        return tp, sl

    def _oco_sibling_done(self, order: SimOrder) -> None:
        """A leg filled or triggered: cancel the other leg and retire the group."""
        if order.oco_id is None or order.oco_id not in self.oco:
            return
        group = self.oco[order.oco_id]
        other_id = group.stop_loss_id if order.id == group.take_profit_id else group.take_profit_id
        other = self.orders.get(other_id)
        if other is not None and other.status == OPEN:
            # the group reservation moves to the surviving leg
            if order.status == OPEN and other.reserved > 0:
                order.reserved = other.reserved
                other.reserved = ZERO
                self.touched_orders.update((order.id, other.id))
            self._cancel(other, CANCELED)
        if order.status != OPEN:
            self.oco.pop(group.id, None)

    # -- prices and evaluation ------------------------------------------------------------------
    def set_price(self, market: str, price: Decimal) -> None:
        spec = self.spec(market)
        if not price.is_finite() or price <= 0:
            raise errors.validation(33, "price", "Price should be greater than 0.")
        price = risk.quantize_price(price, spec.market.price_step)
        if price <= 0:  # checked after rounding: 0.001 on a 0.01 tick is 0
            raise errors.validation(33, "price", "Price should be greater than 0.")
        self._set_last(spec, price)
        self.evaluate(market)

    def _set_last(self, spec: MarketSpec, price: Decimal) -> None:
        name = spec.name
        self.prices[name] = price
        self.highs[name] = max(self.highs[name], price)
        self.lows[name] = min(self.lows[name], price)
        self.prices_dirty = True

    def step_prices(self) -> None:
        """One tick: random-walk every price (unless static), then evaluate every market."""
        self.tick_count += 1
        self.prices_dirty = True
        if not self.options.static_prices:
            for spec in self.catalog.values():
                bps = D(
                    self.rng.randint(
                        -int(spec.volatility_bps * 100), int(spec.volatility_bps * 100)
                    )
                )
                factor = 1 + bps / D(1_000_000)
                step = spec.market.price_step
                price = max(step, risk.quantize_price(self.prices[spec.name] * factor, step))
                self._set_last(spec, price)
        self.evaluate_all()

    def evaluate_all(self) -> None:
        # margin markets first: WhiteBIT liquidates margin positions before futures
        for spec in sorted(self.catalog.values(), key=lambda s: (s.is_futures, s.name)):
            self.evaluate(spec.name)

    def evaluate(self, market: str) -> None:
        last = self.prices[market]
        for order in sorted(
            [o for o in self.orders.values() if o.market == market], key=lambda o: o.id
        ):
            if order.status != OPEN:
                continue  # cancelled by a sibling/close earlier in this pass
            if not order.activated:
                if not self._triggered(order, last):
                    continue
                order.activated = True
                order.mtime = self.now()
                self._emit("order", 1, order.copy())  # WhiteBIT: a second event 1, same id
                self._oco_sibling_done(order)
                if order.type == "stop market" or self._marketable(order, last):
                    # a triggered stop market, or a stop limit that is marketable on activation,
                    # takes liquidity at the last price
                    self._execute(order, last, "taker")
                    continue
            if order.type in ("limit", "stop limit") and self._marketable(order, last):
                self._execute(order, order.price, "maker")
        self._check_liquidations(market)
