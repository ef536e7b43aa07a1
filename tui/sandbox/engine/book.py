"""The order book of one account: validation, placement, matching on arrival, cancel, modify.

- Liquidity is unlimited and orders fill whole: a market order fills at the last price (taker fee);
  a limit order that is marketable on arrival fills at the last price (taker); otherwise it rests
  and fills at its own limit price when the last price crosses it (maker fee). A post-only order
  that would take is refused (code 13); an IOC limit that cannot fill is cancelled.
- ``order/modify`` = cancel + a new id. Resting orders are matched again on every price change
  (``triggers``); fills are applied to positions by ``positions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from tui.domain import risk

from .. import errors
from ..catalog import MarketSpec
from .ledger import Ledger
from .records import (
    CANCELED,
    CLIENT_ORDER_ID_RE,
    HUNDRED,
    MONEY_Q,
    OPEN,
    ORDER_KINDS,
    ZERO,
    OcoGroup,
    SimOrder,
    SimPosition,
    cap,
)


class Book(Ledger):
    """Orders of the account (the next parts of ``Engine`` build on it: triggers, positions)."""

    if TYPE_CHECKING:  # defined by the later parts of Engine, which subclass this one

        def _execute(self, order: SimOrder, price: Decimal, role: str) -> None: ...

        def evaluate(self, market: str) -> None: ...

        def cancel_oco(self, group: OcoGroup) -> tuple[SimOrder, SimOrder]: ...

        def _check_liquidations(self, market: str) -> None: ...

    # -- order placement ----------------------------------------------------------------------
    def _check_amount(self, spec: MarketSpec, amount: Decimal) -> None:
        market = spec.market
        if amount <= 0:
            raise errors.validation(32, "amount", "Amount should be greater than 0.")
        if not risk.on_step(amount, market.amount_step):
            raise errors.validation(32, "amount", f"Min amount step = {market.amount_step}")
        if amount < market.min_amount:
            raise errors.validation(
                32, "amount", f"Given amount is less than min amount {market.min_amount}"
            )

    def _check_price(self, spec: MarketSpec, price: Decimal, field: str = "price") -> None:
        market = spec.market
        label = "Price" if field == "price" else "Activation price"
        if price <= 0:
            raise errors.validation(33, field, f"{label} should be greater than 0.")
        if not risk.on_step(price, market.price_step):
            raise errors.validation(33, field, f"Min price step = {market.price_step}")

    def _check_total(self, spec: MarketSpec, amount: Decimal, price: Decimal) -> None:
        market = spec.market
        total = amount * price
        if total < market.min_total:
            raise errors.validation(
                30, "total", f"Total(amount * price) is less than {market.min_total}"
            )
        if market.max_total > 0 and total > market.max_total:
            raise errors.validation(
                30, "total", f"Total(amount * price) is greater than {market.max_total}"
            )

    def _check_client_order_id(
        self, market: str, client_order_id: str, ignore_id: int | None = None
    ) -> None:
        if not client_order_id:
            return
        if not CLIENT_ORDER_ID_RE.match(client_order_id):
            raise errors.validation(
                36,
                "clientOrderId",
                "ClientOrderId may contain only letters, digits, dashes, dots and underscores.",
            )
        # Unique among this account's OPEN orders on the market only; reusable once finished.
        for order in self.orders.values():
            if order.id == ignore_id:
                continue
            if order.market == market and order.client_order_id == client_order_id:
                raise errors.validation(
                    36,
                    "clientOrderId",
                    "This client order id is already used by the current account. It will become"
                    " available after the current order is executed.",
                )

    def _resolve_position_side(self, market: str, position_side: str | None) -> str:
        if position_side is not None and position_side not in ("LONG", "SHORT", "BOTH"):
            raise errors.validation(30, "positionSide", "Position side is invalid.")
        hedged = self.is_hedged(market)
        if hedged and position_side not in ("LONG", "SHORT"):
            raise errors.inner(
                114, "positionSide", "Order's position side does not match user's setting"
            )
        if not hedged and position_side in ("LONG", "SHORT"):
            raise errors.inner(
                114, "positionSide", "Order's position side does not match user's setting"
            )
        return position_side if hedged else "BOTH"

    def _split(
        self, market: str, side: str, position_side: str, qty: Decimal
    ) -> tuple[Decimal, Decimal, SimPosition | None]:
        """(reducing part, opening part, affected position) of a trade of ``qty`` now."""
        if position_side in ("LONG", "SHORT"):
            pos = self.position_for(market, position_side)
            opening = (position_side == "LONG") == (side == "buy")
            if opening:
                return ZERO, qty, pos
            return min(qty, pos.size if pos else ZERO), ZERO, pos
        pos = self.position_for(market, "BOTH")
        direction = "long" if side == "buy" else "short"
        if pos is None or pos.direction == direction:
            return ZERO, qty, pos
        reduce = min(qty, pos.size)
        return reduce, qty - reduce, pos

    def _is_closing_only(self, order: SimOrder) -> bool:
        """Reduce-only orders and hedge-mode closing orders (sell LONG / buy SHORT)."""
        if order.reduce_only:
            return True
        if order.position_side in ("LONG", "SHORT"):
            return (order.position_side == "LONG") != (order.side == "buy")
        return False

    def _requirement(
        self, spec: MarketSpec, open_qty: Decimal, qty: Decimal, price: Decimal
    ) -> Decimal:
        lev = self.effective_leverage(spec.name)
        return (
            risk.required_margin(open_qty, price, lev)
            + qty * price * spec.market.taker_fee / HUNDRED
        ).quantize(MONEY_Q)

    def place_order(
        self,
        kind: str,
        market: str,
        side: str,
        amount: Decimal,
        *,
        price: Decimal | None = None,
        activation_price: Decimal | None = None,
        client_order_id: str = "",
        post_only: bool = False,
        ioc: bool = False,
        position_side: str | None = None,
        reduce_only: bool = False,
        stp: str = "no",
    ) -> SimOrder:
        """Validate and place one order; returns it (filled, resting or cancelled)."""
        order = self._build_order(
            kind,
            market,
            side,
            amount,
            price=price,
            activation_price=activation_price,
            client_order_id=client_order_id,
            post_only=post_only,
            ioc=ioc,
            position_side=position_side,
            reduce_only=reduce_only,
            stp=stp,
        )
        self._submit(order)
        return order

    def _build_order(
        self,
        kind: str,
        market: str,
        side: str,
        amount: Decimal,
        *,
        price: Decimal | None,
        activation_price: Decimal | None,
        client_order_id: str,
        post_only: bool,
        ioc: bool,
        position_side: str | None,
        reduce_only: bool,
        stp: str,
        check_balance: bool = True,
        extra_reserve_price: Decimal | None = None,
        replaces: int | None = None,
    ) -> SimOrder:
        if kind not in ORDER_KINDS:
            raise ValueError(kind)
        spec = self.spec(market)
        if side not in ("buy", "sell"):
            raise errors.validation(30, "side", "Side is invalid.")
        self._check_amount(spec, amount)
        last = self.prices[market]
        if kind in ("limit", "stop limit"):
            if price is None:
                raise errors.required("price")
            self._check_price(spec, price)
        if kind in ("stop limit", "stop market"):
            if activation_price is None:
                raise errors.required("activation_price")
            self._check_price(spec, activation_price, "activation_price")
            if activation_price == last:
                raise errors.inner(
                    101, "activation_price", "Activation price should not be equal to last price."
                )
        if post_only and ioc:
            raise errors.validation(
                37, "ioc", "Either IOC or PostOnly flag in true state is allowed."
            )
        ref_price = price if price is not None else (activation_price or last)
        self._check_total(spec, amount, ref_price)
        self._check_client_order_id(market, client_order_id, replaces)
        pside = self._resolve_position_side(market, position_side)
        reduce_qty, open_qty, _ = self._split(market, side, pside, amount)
        probe = SimOrder(
            id=0,
            market=market,
            side=side,
            type=kind,
            amount=amount,
            left=amount,
            ctime=ZERO,
            mtime=ZERO,
            position_side=pside,
            reduce_only=reduce_only,
        )
        if self._is_closing_only(probe):
            if reduce_qty <= 0:
                raise errors.inner(
                    116,
                    "reduceOnly",
                    "Reduce-only order requires an open position in the opposite direction.",
                )
            # WhiteBIT clips an oversized reduce-only amount to the position size.
            amount = min(amount, reduce_qty)
            open_qty = ZERO
        reserve = ZERO
        if open_qty > 0:
            reserve_price = ref_price if kind != "market" else last
            if extra_reserve_price is not None:
                reserve_price = max(reserve_price, extra_reserve_price)
            reserve = self._requirement(spec, open_qty, amount, reserve_price)
            if check_balance and reserve > self.available():
                raise errors.inner(10, "amount", "Not enough balance.")
        now = self.now()
        return SimOrder(
            id=self._id("order"),
            market=market,
            side=side,
            type=kind,
            amount=amount,
            left=amount,
            ctime=now,
            mtime=now,
            price=price,
            activation_price=activation_price,
            activated=kind not in ("stop limit", "stop market"),
            client_order_id=client_order_id,
            post_only=post_only,
            ioc=ioc,
            stp=stp,
            position_side=pside,
            reduce_only=reduce_only,
            reserved=reserve,
        )

    def _marketable(self, order: SimOrder, last: Decimal) -> bool:
        assert order.price is not None
        return last <= order.price if order.side == "buy" else last >= order.price

    def _triggered(self, order: SimOrder, last: Decimal) -> bool:
        assert order.activation_price is not None
        if order.side == "buy":
            return last >= order.activation_price
        return last <= order.activation_price

    def _submit(self, order: SimOrder) -> None:
        last = self.prices[order.market]
        if order.type == "market":
            order.reserved = ZERO
            self._execute(order, last, "taker")
            return
        if order.type == "limit":
            if self._marketable(order, last):
                if order.post_only:
                    self._id_rollback(order)
                    raise errors.inner(
                        13,
                        "postOnly",
                        "This order couldn't be executed as a maker order and was canceled.",
                    )
                order.reserved = ZERO
                self._execute(order, last, "taker")
                return
            if order.ioc:
                order.reserved = ZERO
                self._finish(order, CANCELED, event=False)
                self._emit("order", 3, order.copy())
                return
        self.orders[order.id] = order
        self._emit("order", 1, order.copy())
        if order.is_stop:
            self.evaluate(order.market)

    def _id_rollback(self, order: SimOrder) -> None:
        if self.next_ids["order"] == order.id + 1:
            self.next_ids["order"] = order.id

    def find_order(self, order_id: int) -> SimOrder:
        if order_id in self.orders:
            return self.orders[order_id]
        if order_id in self._executing:
            return self._executing[order_id]
        for order in reversed(self.finished):
            if order.id == order_id:
                return order
        raise KeyError(order_id)

    # -- cancel -----------------------------------------------------------------------------------
    def cancel_order(
        self, market: str, order_id: int | None = None, client_order_id: str | None = None
    ) -> SimOrder:
        self.spec(market)
        for order in self.orders.values():
            if order.market != market:
                continue
            if (order_id is not None and order.id == order_id) or (
                client_order_id is not None and order.client_order_id == client_order_id
            ):
                if order.oco_id is not None and order.oco_id in self.oco:
                    # cancelling one leg of an OCO cancels the whole group
                    self.cancel_oco(self.oco[order.oco_id])
                else:
                    self._cancel(order, CANCELED)
                return order
        raise errors.not_found("orderId" if order_id is not None else "clientOrderId")

    def modify_order(
        self,
        market: str,
        order_id: int | None,
        client_order_id: str | None,
        *,
        amount: Decimal | None = None,
        price: Decimal | None = None,
        activation_price: Decimal | None = None,
    ) -> SimOrder:
        """WhiteBIT's modify: cancel + re-create with a **new** order id (events 3 then 1)."""
        self.spec(market)
        old = next(
            (
                o
                for o in self.orders.values()
                if o.market == market
                and (
                    (order_id is not None and o.id == order_id)
                    or (client_order_id is not None and o.client_order_id == client_order_id)
                )
            ),
            None,
        )
        if old is None:
            raise errors.not_found("orderId" if order_id is not None else "clientOrderId")
        if old.oco_id is not None:
            raise errors.inner(160, "orderId", "tpsl orders can't be modified.")
        if old.type == "market":
            raise errors.inner(1, "orderId", "Invalid argument.")
        if activation_price is not None and not old.is_stop:
            raise errors.validation(
                30, "activationPrice", "Only stop orders have an activation price."
            )
        saved = old.reserved
        old.reserved = ZERO  # its reservation is available to the replacement
        try:
            new = self._build_order(
                old.type,
                market,
                old.side,
                amount if amount is not None else old.left,
                price=price if price is not None else old.price,
                activation_price=(
                    activation_price if activation_price is not None else old.activation_price
                ),
                client_order_id=old.client_order_id,
                post_only=old.post_only,
                ioc=old.ioc,
                position_side=old.position_side if old.position_side != "BOTH" else None,
                reduce_only=old.reduce_only,
                stp=old.stp,
                replaces=old.id,
            )
        except errors.ApiError:
            old.reserved = saved
            raise
        self._cancel(old, CANCELED)
        self._submit(new)
        return new

    def cancel_all(
        self,
        market: str | None = None,
        products: Iterable[str] | None = None,
        position_side: str | None = None,
    ) -> None:
        wanted = set(products or ())
        for order in sorted(self.orders.values(), key=lambda o: o.id):
            if order.status != OPEN:
                continue
            if market is not None and order.market != market:
                continue
            spec = self.catalog[order.market]
            if wanted and ("futures" if spec.is_futures else "margin") not in wanted:
                continue
            if (
                position_side is not None
                and spec.is_futures
                and order.position_side != position_side.upper()
            ):
                continue
            if order.oco_id is not None and order.oco_id in self.oco:
                self.cancel_oco(self.oco[order.oco_id])
            else:
                self._cancel(order, CANCELED)

    def _cancel(self, order: SimOrder, status: str) -> None:
        if order.status != OPEN or order.id in self._executing:
            return
        self._finish(order, status)

    def _finish(self, order: SimOrder, status: str, event: bool = True) -> None:
        now = self.now()
        order.status = status
        order.reserved = ZERO
        order.mtime = now
        order.ftime = now
        self.orders.pop(order.id, None)
        self.touched_orders.add(order.id)
        self.finished.append(order)
        cap(self.finished)
        if event:
            self._emit("order", 3, order.copy())

    def active_orders(
        self,
        market: str | None = None,
        order_id: int | None = None,
        client_order_id: str | None = None,
    ) -> list[SimOrder]:
        out = []
        for order in sorted(self.orders.values(), key=lambda o: o.id):
            if market is not None and order.market != market:
                continue
            if order_id is not None and order.id != order_id:
                continue
            if client_order_id is not None and order.client_order_id != client_order_id:
                continue
            out.append(order)
        return out
