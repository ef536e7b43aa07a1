"""REST client behaviour under faults, against a throwaway loopback server (FakeExchange).

Covers what the sandbox cannot produce on demand: lost responses, 5xx, slow answers, gateway
rate limits and a server nonce that is ahead of our clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from decimal import Decimal
from typing import Any

import pytest
from api_fakes import KEY, SECRET, Drop, FakeExchange, Raw, Sleep, free_port

from tui.api.errors import (
    AuthError,
    NonceError,
    OrderUncertainError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from tui.api.rest import WhiteBitRest
from tui.api.signing import RESERVE_MS, TOP_UP_BELOW_MS, Credentials, NonceSource
from tui.domain.models import OrderRequest, OrderType, Side

LIMIT = "/api/v4/order/collateral/limit"
MARKET = "/api/v4/order/collateral/market"
ACTIVE = "/api/v4/orders"
HISTORY = "/api/v4/trade-account/order/history"
BALANCE = "/api/v4/collateral-account/balance"
SUMMARY = "/api/v4/collateral-account/summary"


def client(fake: FakeExchange, **kw: Any) -> WhiteBitRest:
    opts: dict[str, Any] = {
        "timeout": 2.0,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "reconcile_delay": 0,
    }
    opts.update(kw)
    return WhiteBitRest(fake.url, Credentials(KEY, SECRET), **opts)


class Book:
    """Just enough order state for reconciliation lookups."""

    def __init__(self) -> None:
        self.active: list[dict[str, Any]] = []
        self.finished: list[dict[str, Any]] = []
        self.next_id = 100

    def create(self, data: dict[str, Any], *, fill: bool = False) -> dict[str, Any]:
        self.next_id += 1
        order = {
            "orderId": self.next_id,
            "clientOrderId": data.get("clientOrderId", ""),
            "market": data["market"],
            "side": data["side"],
            "type": "market" if "price" not in data else "limit",
            "timestamp": "1700000000.5",
            "amount": data["amount"],
            "left": "0" if fill else data["amount"],
            "dealStock": data["amount"] if fill else "0",
            "dealMoney": "0",
            "dealFee": "0",
            "price": data.get("price", "0"),
            "status": "FILLED" if fill else "OPEN",
            "positionSide": "BOTH",
            "reduceOnly": False,
        }
        (self.finished if fill else self.active).append(order)
        return order

    def install(self, fake: FakeExchange) -> None:
        def active(data: dict[str, Any]) -> Any:
            return [
                o
                for o in self.active
                if o["clientOrderId"] == data.get("clientOrderId", o["clientOrderId"])
            ]

        def history(data: dict[str, Any]) -> Any:
            rows = [
                dict(o, id=o["orderId"])
                for o in self.finished
                if o["clientOrderId"] == data.get("clientOrderId", o["clientOrderId"])
            ]
            return {data.get("market", "BTC_PERP"): rows} if rows else {}

        fake.route(ACTIVE, active)
        fake.route(HISTORY, history)


LIMIT_REQ = OrderRequest(
    market="BTC_PERP",
    side=Side.BUY,
    type=OrderType.LIMIT,
    amount=Decimal("0.001"),
    price=Decimal(30000),
)
MARKET_REQ = OrderRequest(
    market="BTC_PERP", side=Side.BUY, type=OrderType.MARKET, amount=Decimal("0.001")
)


# ----------------------------------------------------------------------------- nonces


async def test_50_concurrent_signed_calls_zero_nonce_rejections(fake: FakeExchange) -> None:
    fake.route(BALANCE, {"USDT": Decimal(10)})
    async with client(fake) as rest:
        results = await asyncio.gather(*(rest.collateral_balance() for _ in range(50)))
    assert all(r == {"USDT": Decimal(10)} for r in results)
    assert fake.nonce_rejections == 0
    assert len(fake.nonces) == 50 and len(set(fake.nonces)) == 50
    # Sent concurrently with nonceWindow: unique nonces, arriving in whatever order.
    assert all(data.get("nonceWindow") is True for _, data in fake.calls)


async def test_one_keep_alive_connection_is_reused(fake: FakeExchange) -> None:
    fake.route(BALANCE, {"USDT": 1})
    fake.route("/api/v4/public/ticker", {"BTC_PERP": {"last_price": "1"}})
    async with client(fake) as rest:
        for _ in range(10):
            await rest.collateral_balance()
            await rest.tickers()
    assert len(fake.calls) == 20
    assert len(fake.peers) == 1


async def test_server_nonce_ahead_of_clock_recovers_in_bounded_steps(fake: FakeExchange) -> None:
    fake.route(
        SUMMARY,
        {
            "equity": "1",
            "margin": "0",
            "freeMargin": "1",
            "unrealizedFunding": "0",
            "pnl": "0",
            "leverage": 5,
        },
    )
    now_ms = time.time_ns() // 1_000_000
    fake.last_nonce = now_ms + 30 * 60 * 1000  # another process left the server 30 min ahead
    async with client(fake, nonce_window=False) as rest:  # the path used when ahead of the clock
        summary = await rest.account_summary()
        assert summary.leverage == 5
        assert fake.nonce_rejections == 3  # +1 s, +1 min, then +1 h overtakes it
        # The source stays ahead: the next call is accepted first time.
        await rest.account_summary()
    assert fake.nonce_rejections == 3


async def test_with_nonce_window_a_server_nonce_ahead_does_not_matter(fake: FakeExchange) -> None:
    fake.route(BALANCE, {"USDT": Decimal(10)})
    fake.last_nonce = time.time_ns() // 1_000_000 + 30 * 60 * 1000
    async with client(fake) as rest:
        assert await rest.collateral_balance() == {"USDT": Decimal(10)}
    assert fake.nonce_rejections == 0


async def test_an_exchange_clock_far_from_ours_falls_back_to_growing_nonces(
    fake: FakeExchange,
) -> None:
    fake.route(BALANCE, {"USDT": Decimal(10)})
    fake.skew_ms = 60_000  # nonceWindow nonces are a minute behind its clock: all refused
    async with client(fake) as rest:
        assert await rest.collateral_balance() == {"USDT": Decimal(10)}
        assert fake.nonce_rejections == 2  # a fresh windowed nonce, then without nonceWindow
        results = await asyncio.gather(*(rest.collateral_balance() for _ in range(5)))
        assert len(results) == 5
    assert fake.nonce_rejections == 2  # one at a time now: no more refusals
    assert [data.get("nonceWindow") for _, data in fake.calls] == [None] * 6
    assert fake.nonces == sorted(fake.nonces)


async def test_nonce_error_gives_up_after_bounded_attempts(fake: FakeExchange) -> None:
    fake.route(SUMMARY, {})
    fake.last_nonce = time.time_ns() // 1_000_000 + 10 * 3600 * 1000
    async with client(fake, nonce_window=False) as rest:
        with pytest.raises(NonceError) as info:
            await rest.account_summary()
    assert fake.nonce_rejections == 4  # first try + 3 bounded jumps, then stop
    assert str(info.value) == "[code 0] Too many requests."


async def test_nonce_file_survives_a_restart(fake: FakeExchange, tmp_path) -> None:
    fake.route(BALANCE, {"USDT": 1})
    path = tmp_path / "nonce"
    async with client(fake, nonce_path=path) as rest:
        for _ in range(3):
            await rest.collateral_balance()
    # the file holds a mark reserved ahead of the last nonce (written about once a second)
    assert fake.last_nonce <= int(path.read_text()) <= fake.last_nonce + RESERVE_MS
    # Pretend the first run was far ahead of the clock; a new process must continue above it.
    path.write_text(str(fake.last_nonce + 10_000_000))
    fake.last_nonce += 10_000_000
    async with client(fake, nonce_path=path) as rest:
        await rest.collateral_balance()
    assert fake.nonce_rejections == 0


async def test_the_client_tops_the_nonce_mark_up_after_a_request(
    fake: FakeExchange, tmp_path
) -> None:
    """Once a signed request is out, the client moves the nonce mark ahead in a worker thread
    when less than TOP_UP_BELOW_MS is left, so a later call (an order) finds its nonce below
    the mark and writes nothing on its way (bench: key_to_wire)."""
    fake.route(BALANCE, {"USDT": 1})
    path = tmp_path / "nonce"
    clock = [time.time_ns() // 1_000_000]
    nonces = NonceSource(path, clock=lambda: clock[0])
    # nonce_window=False: this clock runs ahead of the exchange's, outside its +-5 s window.
    async with client(fake, nonce_source=nonces, nonce_window=False) as rest:
        await rest.collateral_balance()  # the first nonce passes the (absent) mark: written
        first = fake.last_nonce
        assert int(path.read_text()) == first + RESERVE_MS
        clock[0] = first + RESERVE_MS - TOP_UP_BELOW_MS + 1  # less than TOP_UP_BELOW_MS left
        await rest.collateral_balance()
        second = fake.last_nonce
        for _ in range(200):  # the top-up runs in a worker thread
            if int(path.read_text()) == second + RESERVE_MS:
                break
            await asyncio.sleep(0.01)
        assert int(path.read_text()) == second + RESERVE_MS
        inode = os.stat(path).st_ino
        clock[0] = first + RESERVE_MS + 1  # past the first mark, below the topped-up one
        await rest.collateral_balance()
        assert fake.last_nonce == clock[0]
        assert os.stat(path).st_ino == inode  # no write on the way (os.replace: a new inode)
    assert int(path.read_text()) == second + RESERVE_MS


# ----------------------------------------------------------------------------- reads


async def test_read_retries_5xx_and_gateway_429_then_succeeds(fake: FakeExchange) -> None:
    fake.script(
        BALANCE,
        Raw(503, "<html>maintenance</html>"),
        (500, {"error": ["Internal server error."]}),
        Raw(429, "slow down", {"Retry-After": "0"}),
        then={"USDT": Decimal(5)},
    )
    async with client(fake) as rest:
        assert await rest.collateral_balance() == {"USDT": Decimal(5)}
    assert fake.count(BALANCE) == 4


async def test_read_retries_are_bounded(fake: FakeExchange) -> None:
    fake.route(BALANCE, Raw(503, "down"))
    async with client(fake, max_read_retries=2) as rest:
        with pytest.raises(ServerError) as info:
            await rest.collateral_balance()
    assert info.value.status == 503
    assert fake.count(BALANCE) == 3


async def test_rate_limit_error_after_retries(fake: FakeExchange) -> None:
    fake.route("/api/v4/public/ticker", Raw(429, "Too Many Requests"))
    async with client(fake, max_read_retries=1) as rest:
        with pytest.raises(RateLimitError):
            await rest.tickers()
    assert fake.count("/api/v4/public/ticker") == 2


async def test_read_timeout_is_retried(fake: FakeExchange) -> None:
    fake.script(BALANCE, Sleep(0.5, {"USDT": 1}), then={"USDT": 2})
    async with client(fake, timeout=0.2) as rest:
        assert await rest.collateral_balance() == {"USDT": Decimal(2)}


async def test_connection_refused_is_a_transport_error_not_sent() -> None:
    rest = WhiteBitRest(
        f"http://127.0.0.1:{free_port()}",
        Credentials(KEY, SECRET),
        timeout=1.0,
        backoff_base=0.01,
        backoff_cap=0.02,
        max_read_retries=1,
    )
    async with rest:
        with pytest.raises(TransportError) as info:
            await rest.place_order(LIMIT_REQ)
        assert info.value.sent is False
        with pytest.raises(TransportError):
            await rest.tickers()
    assert info.value.__cause__ is None and info.value.__context__ is None


async def test_balance_json_numbers_are_exact_decimals(fake: FakeExchange) -> None:
    fake.route(BALANCE, Raw(200, '{"USDT": 1000.50, "BTC": 0.1000000000000000055511151231257827}'))
    async with client(fake) as rest:
        got = await rest.collateral_balance()
    assert got["USDT"] == Decimal("1000.50")
    assert str(got["BTC"]) == "0.1000000000000000055511151231257827"


async def test_non_json_success_is_malformed_not_a_crash(fake: FakeExchange) -> None:
    fake.route(SUMMARY, Raw(200, "<html>hello</html>"))
    async with client(fake) as rest:
        with pytest.raises(ServerError) as info:
            await rest.account_summary()
    assert info.value.status == 200
    assert fake.count(SUMMARY) == 1  # not retried: it would not get better


async def test_no_credentials_sends_nothing(fake: FakeExchange) -> None:
    async with WhiteBitRest(fake.url, None) as rest:
        with pytest.raises(AuthError):
            await rest.account_summary()
    assert fake.calls == []


# ----------------------------------------------------------------------------- orders


async def test_amounts_are_sent_as_plain_decimal_strings(fake: FakeExchange) -> None:
    book = Book()
    book.install(fake)
    fake.route(LIMIT, lambda d: book.create(d))
    req = OrderRequest(
        market="BTC_PERP",
        side=Side.SELL,
        type=OrderType.LIMIT,
        amount=Decimal("1E-5"),
        price=Decimal("6.50E+4"),
    )
    async with client(fake) as rest:
        (order,) = await rest.place_order(req)
    sent = fake.calls[-1][1]
    assert sent["amount"] == "0.00001" and sent["price"] == "65000"
    assert sent["side"] == "sell"
    assert sent["clientOrderId"] and order.client_order_id == sent["clientOrderId"]
    assert b"E" not in fake.raw_bodies[-1].replace(b"BTC_PERP", b"")


async def test_lost_response_found_among_active_orders_no_resend(fake: FakeExchange) -> None:
    book = Book()
    book.install(fake)

    def place(data: dict[str, Any]) -> Any:
        book.create(data)
        return Drop()  # the order exists, the answer is lost

    fake.route(LIMIT, place)
    async with client(fake) as rest:
        (order,) = await rest.place_order(LIMIT_REQ)
    assert fake.count(LIMIT) == 1
    assert order.id == book.active[0]["orderId"]
    assert order.client_order_id == book.active[0]["clientOrderId"]


async def test_lost_market_order_found_in_history_no_double_fill(fake: FakeExchange) -> None:
    book = Book()
    book.install(fake)

    def place(data: dict[str, Any]) -> Any:
        book.create(data, fill=True)
        return Sleep(0.5, Drop())  # filled at once; the client times out

    fake.route(MARKET, place)
    async with client(fake, timeout=0.2) as rest:
        (order,) = await rest.place_order(MARKET_REQ)
    assert fake.count(MARKET) == 1  # never resent: it would have filled twice
    assert order.left == 0 and order.filled == Decimal("0.001")
    assert fake.count(ACTIVE) == 1 and fake.count(HISTORY) == 1


async def test_not_found_is_resent_once_with_the_same_client_order_id(fake: FakeExchange) -> None:
    book = Book()
    book.install(fake)
    fake.script(LIMIT, (502, {"error": ["Bad gateway"]}), then=lambda d: book.create(d))
    async with client(fake) as rest:
        (order,) = await rest.place_order(LIMIT_REQ)
    placements = [d for p, d in fake.calls if p == LIMIT]
    assert len(placements) == 2
    assert placements[0]["clientOrderId"] == placements[1]["clientOrderId"] == order.client_order_id
    assert len(book.active) == 1


async def test_order_still_unknown_after_one_resend_raises_uncertain(fake: FakeExchange) -> None:
    book = Book()
    book.install(fake)
    fake.route(LIMIT, Drop())
    async with client(fake) as rest:
        with pytest.raises(OrderUncertainError) as info:
            await rest.place_order(LIMIT_REQ)
    assert fake.count(LIMIT) == 2  # the original and exactly one resend
    placed = [d for p, d in fake.calls if p == LIMIT]
    assert info.value.client_order_id == placed[0]["clientOrderId"]


async def test_lookup_failure_means_uncertain_and_no_resend(fake: FakeExchange) -> None:
    fake.route(LIMIT, Drop())
    fake.route(ACTIVE, Raw(503, "down"))
    async with client(fake, max_read_retries=1) as rest:
        with pytest.raises(OrderUncertainError):
            await rest.place_order(LIMIT_REQ)
    assert fake.count(LIMIT) == 1


async def test_duplicate_id_on_resend_reconciles(fake: FakeExchange) -> None:
    """The first placement landed late (after the lookup): the resend is refused with code 36,
    and the client finds the order instead of failing."""
    book = Book()
    state = {"n": 0}

    def active(data: dict[str, Any]) -> Any:
        state["n"] += 1
        if state["n"] == 1:
            return []  # first lookup: not there yet
        return [o for o in book.active if o["clientOrderId"] == data.get("clientOrderId")]

    def place(data: dict[str, Any]) -> Any:
        if not book.active:
            book.create(data)
            return Drop()
        return (
            422,
            {
                "code": 36,
                "message": "Validation failed",
                "errors": {"clientOrderId": ["This client order id is already used."]},
            },
        )

    fake.route(ACTIVE, active)
    fake.route(HISTORY, {})
    fake.route(LIMIT, place)
    async with client(fake) as rest:
        (order,) = await rest.place_order(LIMIT_REQ)
    assert order.id == book.active[0]["orderId"]
    assert fake.count(LIMIT) == 2


async def test_validation_error_is_raised_without_lookup(fake: FakeExchange) -> None:
    fake.route(
        LIMIT,
        (
            422,
            {
                "code": 10,
                "message": "Inner validation failed",
                "errors": {"amount": ["Not enough balance."]},
            },
        ),
    )
    async with client(fake) as rest:
        with pytest.raises(ValidationError) as info:
            await rest.place_order(LIMIT_REQ)
    assert str(info.value) == "[code 10] Inner validation failed (amount: Not enough balance.)"
    assert [p for p, _ in fake.calls] == [LIMIT]


async def test_incomplete_order_request_sends_nothing(fake: FakeExchange) -> None:
    req = OrderRequest(
        market="BTC_PERP", side=Side.BUY, type=OrderType.STOP_LIMIT, amount=Decimal(1)
    )
    async with client(fake) as rest:
        with pytest.raises(ValidationError) as info:
            await rest.place_order(req)
    assert set(info.value.errors) == {"price", "activation_price"}
    assert fake.calls == []


async def test_bulk_maps_results_and_errors(fake: FakeExchange) -> None:
    book = Book()

    def bulk(data: dict[str, Any]) -> Any:
        first, _second = data["orders"]
        return [
            {"result": book.create(first), "error": None},
            {
                "result": None,
                "error": {
                    "code": 32,
                    "message": "Validation failed",
                    "errors": {"amount": ["Min amount step = 0.001"]},
                },
            },
        ]

    fake.route("/api/v4/order/collateral/bulk", bulk)
    reqs = [
        LIMIT_REQ,
        OrderRequest(
            market="BTC_PERP",
            side=Side.SELL,
            type=OrderType.LIMIT,
            amount=Decimal("0.0001"),
            price=Decimal(70000),
        ),
    ]
    async with client(fake) as rest:
        ok, bad = await rest.place_bulk(reqs)
    assert ok.id == book.active[0]["orderId"]
    assert isinstance(bad, ValidationError) and bad.code == 32
    sent = fake.calls[-1][1]
    assert sent["stopOnFail"] is False and all(o["clientOrderId"] for o in sent["orders"])


# ----------------------------------------------------------------------------- secrets


async def test_debug_logs_and_errors_never_show_secrets(fake: FakeExchange, caplog) -> None:
    book = Book()
    book.install(fake)
    fake.route(BALANCE, {"USDT": 1})
    fake.route(LIMIT, (401, {"code": 10, "message": "Unauthorized request."}))
    fake.route("/api/v4/profile/websocket_token", {"websocket_token": "tok-abc"})
    seen_headers: list[str] = []
    caplog.set_level(logging.DEBUG)  # root: aiohttp, asyncio, tui.api all at DEBUG
    errors: list[str] = []
    async with client(fake) as rest:
        await rest.collateral_balance()
        await rest.websocket_token()
        try:
            await rest.place_order(LIMIT_REQ)
        except AuthError as exc:
            errors += [str(exc), repr(exc), repr(vars(exc))]
        errors.append(repr(rest))
    # Recompute the secrets the client put on the wire (from what the server received).
    import base64 as b64
    import hashlib
    import hmac

    for body in fake.raw_bodies:
        payload = b64.b64encode(body).decode()
        seen_headers.append(payload)
        seen_headers.append(hmac.new(SECRET.encode(), payload.encode(), hashlib.sha512).hexdigest())
    text = caplog.text + "\n".join(errors)
    assert "HTTP Request" in caplog.text or "POST" in caplog.text  # logging did happen
    assert SECRET not in text
    assert KEY not in text
    for secret in seen_headers:
        assert secret not in text
