"""The sandbox exchange engine: synchronous, deterministic (injectable clock, seeded RNG).

The HTTP/WebSocket server (``tui.sandbox.server``) is a thin layer over this module. Nothing here
does I/O; the server persists :meth:`Engine.to_state` and broadcasts :meth:`Engine.drain_events`.

Market model
------------
- One last price per market. A seeded random walk moves each price every tick by a uniform
  ``+-volatility_bps`` basis points (integer arithmetic on Decimal, no float); ``static_prices``
  freezes it. ``set_price`` sets a price and re-evaluates that market at once.
- There is no mark price in WhiteBIT's API; the sandbox uses the last price as the mark for PnL,
  triggers and liquidation.
- Liquidity is unlimited and orders fill whole: a market order fills at the last price (taker fee);
  a limit order that is marketable on arrival fills at the last price (taker); otherwise it rests
  and fills at its own limit price when the last price crosses it (maker fee). A post-only order
  that would take is refused (code 13); an IOC limit that cannot fill is cancelled.
- Stops: ``stop limit`` / ``stop market`` trigger when the last price reaches ``activation_price``
  (buy: last >= activation, sell: last <= activation). An activated stop limit that is marketable
  takes at the last price, otherwise it rests like a limit. ``order/modify`` = cancel + a new id.
- OCO = a take-profit limit leg + a stop-limit leg; when either leg fills or the stop triggers,
  the other leg is cancelled.

Margin model (isolated margin per position; the formulas are ``tui.domain.risk``'s)
---------------------------------------------------------------------------------
- ``B`` = collateral wallet balance (USDT). Realized PnL, fees, funding and settled interest move
  it; opening a position does not (the margin is *locked*, not spent).
- Effective leverage ``L`` = account leverage, capped at 10x on margin (spot) markets
  (``tui.domain.markets.effective_leverage``). It is fixed into a position's margin when it opens.
- Opening/increasing by ``q`` at price ``p``: ``margin += q*p/L``; entry = size-weighted average.
- Order reservation: a resting order holds ``q_open*p/L + q*p*taker_fee`` (``q_open`` = the part
  that would open/increase exposure, ``p`` its limit/trigger price); released on fill or cancel.
- ``locked = sum(position margin) + sum(order reservations)``; ``available = max(0, B - locked)``.
  A new order needs ``available >= q_open*p/L + q*p*taker_fee`` (else code 10).
- Fees: ``q*p*fee%/100`` (maker for resting limit fills, taker otherwise), charged to ``B``.
- Reducing by ``q`` at ``p``: realized ``pnl = (p-entry)*q`` (long) / ``(entry-p)*q`` (short) goes
  to ``B``; the margin is released pro rata (``margin -= margin*q/size``).
- Unrealized PnL, liquidation and margin-call prices: ``risk.unrealized_pnl``,
  ``risk.liquidation_price(direction, size, entry, margin, mmr)`` (equity == mmr*size*mark) and
  ``risk.margin_call_price`` (equity == 2*mmr*size*mark). MMR: ``tui.domain.markets``
  (3 % margin, 0.5 % futures).
- States, evaluated after every price change, margin positions (smallest margin first) before
  futures: past the margin-call price -> ``liq_stage = "margin_call"`` (event type 1);
  past the liquidation price -> **partial liquidation**: 25 % of the size (rounded down to the
  amount step) is closed at the last price, its loss and the taker fee are taken from the
  position's margin (the margin is *not* released), which restores equity above maintenance
  (event type 2). If the position is still past its (new) liquidation price, or is hit again
  before it recovers out of the margin-call zone, it is **fully liquidated**: its pending orders
  are cancelled with ``AUTO_CANCELED_LIQUIDATION`` and its remaining margin is lost
  (``B -= margin``; realized PnL ``-margin``). Leaving the margin-call zone resets the stage.
- Borrow interest (margin markets only; WhiteBIT help centre: 0.0585 % per day): every
  ``interest_interval`` seconds ``unrealized_funding += borrowed * 0.000585 * interval/86400`` with
  ``borrowed = size*entry - margin``. It is settled (``B -= unrealized_funding``,
  ``funding += unrealized_funding``) whenever the position changes (trade, liquidation, close).
- Futures funding (PERP only): every ``funding_interval`` seconds each position pays
  ``size*last*rate`` to the balance (long pays when the rate is positive, short receives); it is
  recorded in funding history and never touches the position's ``funding`` fields (always 0 on
  PERP, as WhiteBIT documents). With a live price walk the predicted rate drifts within
  ``funding_floor..funding_cap``.
- Hedge mode applies to futures (``_PERP``) markets only: there ``positionSide`` LONG/SHORT is
  required and selects one of two independent positions (buy LONG / sell SHORT open, sell LONG /
  buy SHORT close and are clipped to the position). Margin markets and one-way mode net into one
  ``BOTH`` position per market; an opposite order reduces it and may flip it (decision: code 115
  "would result in a new position in the opposite direction" is not used).
- Not modelled: partial fills and order-book depth (liquidity is unlimited), mark price, ADL,
  OTO (``stopLoss``/``takeProfit`` on an order are refused with code 30), leverage code 17 and
  the futures brackets (reported by /public/futures, not enforced).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tui.domain import risk
from tui.domain.markets import ACCOUNT_LEVERAGES, effective_leverage
from tui.domain.models import Direction

from . import errors
from .catalog import MarketSpec, default_catalog
from .state import (
    OcoGroup,
    SimOrder,
    SimPosition,
    oco_from_dict,
    order_from_dict,
    position_from_dict,
    record_to_dict,
)

D = Decimal
ZERO = D(0)
HUNDRED = D(100)
COLLATERAL_ASSET = "USDT"
#: Borrow interest on margin positions, fraction per day (help centre: 0.0585 % per day).
MARGIN_DAILY_INTEREST = D("0.000585")
#: Share of a position closed by one partial liquidation (WhiteBIT: "20-30 %").
PARTIAL_LIQUIDATION_PERCENT = D(25)
#: Leave this many finished orders/deals/events in memory and in the state file.
HISTORY_CAP = 5000
MONEY_Q = D("1e-8")
FUNDING_Q = D("1e-16")
CLIENT_ORDER_ID_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")

OPEN = "OPEN"
FILLED = "FILLED"
CANCELED = "CANCELED"
AUTO_CANCELED_LIQUIDATION = "AUTO_CANCELED_LIQUIDATION"
AUTO_CANCELED_REDUCE_ONLY = "AUTO_CANCELED_REDUCE_ONLY"

ORDER_KINDS = ("limit", "market", "stop limit", "stop market")


@dataclass(frozen=True, slots=True)
class EngineOptions:
    seed: int = 1
    static_prices: bool = False
    funding_interval: float = 8 * 3600.0
    interest_interval: float = 3600.0


class Engine:
    """One simulated collateral account on a small set of markets."""

    def __init__(
        self,
        *,
        clock: Callable[[], Decimal],
        balances: dict[str, Decimal] | None = None,
        options: EngineOptions | None = None,
        catalog: dict[str, MarketSpec] | None = None,
    ) -> None:
        self._clock = clock
        self.options = options or EngineOptions()
        self.catalog = catalog or default_catalog()
        self.rng = random.Random(self.options.seed)
        now = self.now()
        start = dict(balances) if balances is not None else {COLLATERAL_ASSET: D("10000")}
        self.balances: dict[str, Decimal] = {COLLATERAL_ASSET: ZERO}
        for asset, amount in start.items():
            self.balances[asset.upper()] = D(amount)
        for spec in self.catalog.values():
            self.balances.setdefault(spec.market.base, ZERO)
        self.leverage = 5
        self.hedge_mode = False
        self.prices = {name: spec.start_price for name, spec in self.catalog.items()}
        self.open_prices = dict(self.prices)  # for 24 h change
        self.highs = dict(self.prices)
        self.lows = dict(self.prices)
        self.volumes = {name: ZERO for name in self.catalog}  # base volume traded by us
        self.funding_rates = {n: s.funding_rate for n, s in self.catalog.items() if s.is_futures}
        self.positions: dict[int, SimPosition] = {}
        self.orders: dict[int, SimOrder] = {}  # open orders (incl. untriggered stops)
        self.finished: list[SimOrder] = []
        self.deals: list[dict[str, Any]] = []
        self.position_events: list[dict[str, Any]] = []
        self.funding_payments: list[dict[str, Any]] = []  # this account's
        self.funding_rounds: list[dict[str, Any]] = []  # public funding history
        self.oco: dict[int, OcoGroup] = {}
        self.next_ids = {"order": 4_000_000_001, "position": 700_001, "deal": 90_000_001}
        self.next_funding = now + D(str(self.options.funding_interval))
        self.next_interest = now + D(str(self.options.interest_interval))
        self.tick_count = 0
        self.events: list[tuple[Any, ...]] = []
        self._executing: dict[int, SimOrder] = {}  # orders being filled right now
        self.dirty = True  # core state changed since the last save
        self.prices_dirty = True  # the market moved since the last save

    # -- basics -------------------------------------------------------------------------------
    def now(self) -> Decimal:
        return self._clock()

    def _id(self, kind: str) -> int:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value

    def spec(self, market: Any) -> MarketSpec:
        if not isinstance(market, str) or market not in self.catalog:
            raise errors.validation(31, "market", "Market is not available.")
        return self.catalog[market]

    def price(self, market: str) -> Decimal:
        return self.prices[market]

    @property
    def balance(self) -> Decimal:
        return self.balances[COLLATERAL_ASSET]

    @balance.setter
    def balance(self, value: Decimal) -> None:
        self.balances[COLLATERAL_ASSET] = value.quantize(MONEY_Q)

    def effective_leverage(self, market: str) -> int:
        return effective_leverage(self.leverage, self.catalog[market].market.product)

    def is_hedged(self, market: str) -> bool:
        """Hedge mode is a futures feature: margin pairs always net one-way."""
        return self.hedge_mode and self.catalog[market].is_futures

    def _emit(self, *event: Any) -> None:
        self.events.append(event)
        self.dirty = True

    def drain_events(self) -> list[tuple[Any, ...]]:
        events, self.events = self.events, []
        return events

    # -- account figures ----------------------------------------------------------------------
    def locked(self) -> Decimal:
        return sum((p.margin for p in self.positions.values()), ZERO) + sum(
            (o.reserved for o in self.orders.values()), ZERO
        )

    def available(self) -> Decimal:
        return max(ZERO, self.balance - self.locked())

    def position_pnl(self, pos: SimPosition) -> Decimal:
        return risk.unrealized_pnl(
            Direction(pos.direction), pos.size, pos.entry, self.prices[pos.market]
        )

    def liquidation_price(self, pos: SimPosition) -> Decimal | None:
        spec = self.catalog[pos.market]
        return risk.liquidation_price(
            Direction(pos.direction), pos.size, pos.entry, pos.margin, spec.mmr
        )

    def margin_call_price(self, pos: SimPosition) -> Decimal | None:
        spec = self.catalog[pos.market]
        return risk.margin_call_price(
            Direction(pos.direction), pos.size, pos.entry, pos.margin, spec.mmr
        )

    def borrowed(self, pos: SimPosition) -> Decimal:
        if self.catalog[pos.market].is_futures:
            return ZERO
        return max(ZERO, pos.size * pos.entry - pos.margin)

    def summary(self) -> dict[str, Any]:
        upnl = ZERO
        upnl_futures = ZERO
        notional = ZERO
        maintenance = ZERO
        for pos in self.positions.values():
            pnl = self.position_pnl(pos)
            upnl += pnl
            spec = self.catalog[pos.market]
            if spec.is_futures:
                upnl_futures += pnl
            value = risk.notional(pos.size, self.prices[pos.market])
            notional += value
            maintenance += value * spec.mmr
        funding = sum((p.unrealized_funding for p in self.positions.values()), ZERO)
        equity = self.balance + upnl - funding
        margin = sum((p.margin for p in self.positions.values()), ZERO)
        if notional > 0:
            fraction = equity / notional
            mfraction = maintenance / notional
        else:
            fraction = D("1000000000000000000000")  # WhiteBIT's "infinite" with no positions
            mfraction = ZERO
        return {
            "equity": equity,
            "margin": margin,
            "freeMargin": self.available(),
            "unrealizedFunding": funding,
            "pnl": upnl,
            "leverage": self.leverage,
            "marginFraction": fraction,
            "maintenanceMarginFraction": mfraction,
            "futuresEquity": self.balance + upnl_futures,
            "futuresFreeMargin": self.available(),
        }

    def balance_summary(self) -> list[dict[str, Any]]:
        rows = []
        for asset in sorted(self.balances):
            if asset == COLLATERAL_ASSET:
                borrow = sum((self.borrowed(p) for p in self.positions.values()), ZERO)
                avail = self.available()
                rows.append(
                    {
                        "asset": asset,
                        "balance": self.balance,
                        "borrow": borrow,
                        "availableWithoutBorrow": avail,
                        "availableWithBorrow": avail * self.leverage,
                    }
                )
            else:
                amount = self.balances[asset]
                rows.append(
                    {
                        "asset": asset,
                        "balance": amount,
                        "borrow": ZERO,
                        "availableWithoutBorrow": amount,
                        "availableWithBorrow": amount,
                    }
                )
        return rows

    def available_balances(self) -> dict[str, Decimal]:
        """What ``collateral-account/balance`` reports: the available amount per asset.

        The quickstart says the endpoint "maps each collateral asset to an available balance
        amount" and that cancelling an order returns the reserved collateral to it, so USDT is
        ``balance - locked``. Other assets are informational (only USDT is used as collateral).
        """
        out = {}
        for asset in sorted(self.balances):
            out[asset] = self.available() if asset == COLLATERAL_ASSET else self.balances[asset]
        return out

    # -- account settings ---------------------------------------------------------------------
    def set_leverage(self, leverage: int) -> int:
        if leverage not in ACCOUNT_LEVERAGES:
            raise errors.validation(30, "leverage", "Leverage is invalid.")
        # Current OAS: code 113 = leverage cannot be changed while positions or orders exist
        # (it contradicts the same page's "affects all open positions" note; the error list is
        # the more specific statement, and it keeps isolated margins consistent).
        if leverage != self.leverage and (self.positions or self.orders):
            raise errors.inner(
                113, "leverage", "Leverage cannot be changed if there exists positions or orders"
            )
        self.leverage = leverage
        self.dirty = True
        return leverage

    def set_hedge_mode(self, enabled: bool) -> bool:
        if enabled != self.hedge_mode:
            futures_busy = any(self.catalog[p.market].is_futures for p in self.positions.values())
            futures_busy |= any(self.catalog[o.market].is_futures for o in self.orders.values())
            if futures_busy:
                raise errors.inner(
                    113,
                    "hedgeMode",
                    "Position side cannot be changed if there exists futures positions or orders",
                )
        self.hedge_mode = enabled
        self.dirty = True
        return enabled

    # -- positions lookup ---------------------------------------------------------------------
    def position_for(self, market: str, position_side: str) -> SimPosition | None:
        for pos in self.positions.values():
            if pos.market == market and pos.position_side == position_side:
                return pos
        return None

    def open_positions(self, market: str | None = None) -> list[SimPosition]:
        return sorted(
            (p for p in self.positions.values() if market is None or p.market == market),
            key=lambda p: p.id,
        )

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
        self.dirty = True
        if order.is_stop:
            self.evaluate(order.market)

    def _id_rollback(self, order: SimOrder) -> None:
        if self.next_ids["order"] == order.id + 1:
            self.next_ids["order"] = order.id

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

    def find_order(self, order_id: int) -> SimOrder:
        if order_id in self.orders:
            return self.orders[order_id]
        if order_id in self._executing:
            return self._executing[order_id]
        for order in reversed(self.finished):
            if order.id == order_id:
                return order
        raise KeyError(order_id)

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
            self._cancel(other, CANCELED)
        if order.status != OPEN:
            self.oco.pop(group.id, None)

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
        self.finished.append(order)
        if len(self.finished) > HISTORY_CAP:
            del self.finished[: len(self.finished) - HISTORY_CAP]
        if event:
            self._emit("order", 3, order.copy())
        self.dirty = True

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
        if len(self.deals) > HISTORY_CAP:
            del self.deals[: len(self.deals) - HISTORY_CAP]
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

    def _settle_funding(self, pos: SimPosition) -> Decimal:
        owed = pos.unrealized_funding
        if owed:
            self.balance = self.balance - owed
            pos.funding += owed
            pos.unrealized_funding = ZERO
        return owed

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

    def _record_event(
        self,
        pos: SimPosition,
        order: SimOrder,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        funding_fee: Decimal,
        realized_pnl: Decimal | None,
        liquidation_state: str | None,
    ) -> None:
        self.position_events.append(
            {
                "positionId": pos.id,
                "market": pos.market,
                "openDate": pos.open_time,
                "modifyDate": self.now(),
                "amount": pos.signed_amount,
                "basePrice": pos.entry,
                "realizedFunding": pos.funding,
                "liquidationPrice": self.liquidation_price(pos) if pos.size > 0 else None,
                "liquidationState": liquidation_state,
                "orderDetail": {
                    "id": order.id,
                    "tradeAmount": qty,
                    "price": price,
                    "tradeFee": fee,
                    "fundingFee": funding_fee if funding_fee else None,
                    "realizedPnl": realized_pnl,
                },
                "positionSide": pos.position_side,
                "side": "LONG" if pos.direction == "long" else "SHORT",
                "isHedge": pos.position_side != "BOTH",
            }
        )
        if len(self.position_events) > HISTORY_CAP:
            del self.position_events[: len(self.position_events) - HISTORY_CAP]
        self.dirty = True

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

    # -- prices and evaluation ------------------------------------------------------------------
    def set_price(self, market: str, price: Decimal) -> None:
        spec = self.spec(market)
        if price <= 0:
            raise errors.validation(33, "price", "Price should be greater than 0.")
        self._set_last(spec, risk.quantize_price(price, spec.market.price_step))
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
                self.dirty = True

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

    # -- timers: funding and interest -----------------------------------------------------------
    def run_due(self) -> None:
        now = self.now()
        interval = D(str(self.options.funding_interval))
        if interval > 0 and now >= self.next_funding:
            if now - self.next_funding > interval * 3:  # long downtime: one round, realign
                self.next_funding = now
            while now >= self.next_funding:
                self._funding_round(self.next_funding)
                self.next_funding += interval
        interval = D(str(self.options.interest_interval))
        if interval > 0 and now >= self.next_interest:
            if now - self.next_interest > interval * 3:
                self.next_interest = now
            while now >= self.next_interest:
                self._accrue_interest(interval)
                self.next_interest += interval

    def _funding_round(self, when: Decimal) -> None:
        for name, rate in self.funding_rates.items():
            price = self.prices[name]
            self.funding_rounds.append(
                {
                    "market": name,
                    "fundingTime": when,
                    "fundingRate": rate,
                    "settlementPrice": price,
                    "rateCalculatedTime": when,
                }
            )
            for pos in self.open_positions(name):
                paid = (risk.notional(pos.size, price) * rate).quantize(MONEY_Q)
                amount = -paid if pos.direction == "long" else paid
                self.balance = self.balance + amount
                self.funding_payments.append(
                    {
                        "market": name,
                        "fundingTime": when,
                        "fundingRate": rate,
                        "fundingAmount": amount,
                        "positionAmount": pos.signed_amount,
                        "settlementPrice": price,
                        "rateCalculatedTime": when,
                    }
                )
                self._emit("balance")
            if not self.options.static_prices:
                spec = self.catalog[name]
                drift = D(self.rng.randint(-5, 5)) / D(100_000)
                self.funding_rates[name] = min(
                    spec.funding_cap, max(spec.funding_floor, rate + drift)
                )
        for lst in (self.funding_rounds, self.funding_payments):
            if len(lst) > HISTORY_CAP:
                del lst[: len(lst) - HISTORY_CAP]
        self.dirty = True

    def _accrue_interest(self, interval: Decimal) -> None:
        for pos in self.positions.values():
            borrowed = self.borrowed(pos)
            if borrowed > 0:
                accrual = borrowed * MARGIN_DAILY_INTEREST * interval / D(86400)
                pos.unrealized_funding = (pos.unrealized_funding + accrual).quantize(FUNDING_Q)
                self.dirty = True

    def funding_interval_minutes(self) -> int:
        return max(1, int(D(str(self.options.funding_interval)) / 60))

    # -- persistence --------------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """The whole state (``core_state() | history_state() | price_state()``)."""
        return {**self.core_state(), **self.history_state(), **self.price_state()}

    def core_state(self) -> dict[str, Any]:
        """Account, orders, positions, ids, timers: small, saved whenever ``dirty``."""
        return {
            "version": 1,
            "balances": self.balances,
            "leverage": self.leverage,
            "hedge_mode": self.hedge_mode,
            "volumes": self.volumes,
            "funding_rates": self.funding_rates,
            "positions": [record_to_dict(p) for p in self.positions.values()],
            "orders": [record_to_dict(o) for o in self.orders.values()],
            "oco": [record_to_dict(g) for g in self.oco.values()],
            "next_ids": self.next_ids,
            "next_funding": self.next_funding,
            "next_interest": self.next_interest,
        }

    def history_state(self) -> dict[str, Any]:
        """Append-only records (capped): saved only when :meth:`history_signature` changes."""
        return {
            "finished": [record_to_dict(o) for o in self.finished],
            "deals": self.deals,
            "position_events": self.position_events,
            "funding_payments": self.funding_payments,
            "funding_rounds": self.funding_rounds,
        }

    def history_signature(self) -> tuple[Any, ...]:
        return (
            len(self.finished),
            self.finished[-1].id if self.finished else None,
            len(self.deals),
            self.deals[-1]["id"] if self.deals else None,
            len(self.position_events),
            self.position_events[-1]["modifyDate"] if self.position_events else None,
            len(self.funding_payments),
            len(self.funding_rounds),
            self.funding_rounds[-1]["fundingTime"] if self.funding_rounds else None,
        )

    def price_state(self) -> dict[str, Any]:
        """The market: changes every tick, so the server saves it at a slower cadence."""
        rng_state = self.rng.getstate()
        return {
            "prices": self.prices,
            "open_prices": self.open_prices,
            "highs": self.highs,
            "lows": self.lows,
            "tick_count": self.tick_count,
            "rng": [rng_state[0], list(rng_state[1]), rng_state[2]],
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.balances = {k: D(v) for k, v in state["balances"].items()}
        self.leverage = int(state["leverage"])
        self.hedge_mode = bool(state["hedge_mode"])
        for key in ("prices", "open_prices", "highs", "lows", "volumes"):
            saved = state.get(key, {})
            current = getattr(self, key)
            for name in self.catalog:
                if name in saved:
                    current[name] = D(saved[name])
        for name, rate in state.get("funding_rates", {}).items():
            if name in self.funding_rates:
                self.funding_rates[name] = D(rate)
        self.positions = {p["id"]: position_from_dict(p) for p in state["positions"]}
        self.orders = {o["id"]: order_from_dict(o) for o in state["orders"]}
        self.finished = [order_from_dict(o) for o in state["finished"]]
        self.deals = list(state["deals"])
        self.position_events = list(state["position_events"])
        self.funding_payments = list(state["funding_payments"])
        self.funding_rounds = list(state["funding_rounds"])
        self.oco = {g["id"]: oco_from_dict(g) for g in state["oco"]}
        self.next_ids.update({k: int(v) for k, v in state["next_ids"].items()})
        self.next_funding = D(state["next_funding"])
        self.next_interest = D(state["next_interest"])
        self.tick_count = int(state.get("tick_count", 0))
        rng = state.get("rng")
        if rng:
            self.rng.setstate((rng[0], tuple(rng[1]), rng[2]))
        self.dirty = False
        self.prices_dirty = False


__all__ = ["Engine", "EngineOptions"]
