"""The REST client's HTTP transport (one httpx.AsyncClient per client), against a loopback
FakeExchange: lifecycle, keep-alive, headers, proxies, redirects, and whether a failed request
may have reached the exchange (``TransportError.sent``)."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from typing import Any

import pytest
from api_fakes import KEY, SECRET, Drop, FakeExchange, Raw, Sleep

from tui.api.errors import ApiError, TransportError
from tui.api.rest import WhiteBitRest
from tui.api.signing import Credentials
from tui.api.transport import HttpTransport

BALANCE = "/api/v4/collateral-account/balance"
TICKER = "/api/v4/public/ticker"
CLOSE = "/api/v4/collateral-account/position/close"


def client(fake: FakeExchange, **kw: Any) -> WhiteBitRest:
    opts: dict[str, Any] = {"timeout": 2.0, "backoff_base": 0.01, "backoff_cap": 0.05}
    opts.update(kw)
    return WhiteBitRest(fake.url, Credentials(KEY, SECRET), **opts)


def test_built_outside_a_loop_used_inside_and_closed_without_warnings(caplog) -> None:
    """The service builds its client before the loop runs; it works inside the loop, and
    closing it leaves no unclosed-resource warning behind."""
    caplog.set_level(logging.DEBUG)
    fake = FakeExchange()
    fake.route(BALANCE, {"USDT": "1"})

    async def main(rest: WhiteBitRest) -> dict[str, Any]:
        await fake.start()
        try:
            rest._base_url = fake.url  # the port is known only now
            async with rest:
                return await rest.collateral_balance()
        finally:
            await fake.stop()

    rest = WhiteBitRest("http://127.0.0.1:1", Credentials(KEY, SECRET))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = asyncio.run(main(rest))
        del rest
        gc.collect()
    assert got == {"USDT": 1}
    unclosed = [str(w.message) for w in caught if "nclosed" in str(w.message)]
    assert unclosed == []
    assert "nclosed" not in caplog.text


async def test_a_closed_client_refuses_calls_and_never_reopens(fake: FakeExchange) -> None:
    fake.route(BALANCE, {"USDT": "1"})
    rest = client(fake)
    await rest.collateral_balance()
    await rest.aclose()
    with pytest.raises(RuntimeError):
        await rest.collateral_balance()
    await rest.aclose()  # twice is harmless
    assert fake.count(BALANCE) == 1


async def test_a_client_never_used_closes_cleanly(fake: FakeExchange) -> None:
    async with client(fake):
        pass
    assert fake.calls == []


async def test_user_agent_and_json_accept_header(fake: FakeExchange) -> None:
    fake.route(BALANCE, {"USDT": "1"})
    fake.route(TICKER, {})
    async with client(fake) as rest:
        await rest.collateral_balance()
        await rest.tickers()
    for headers in fake.headers:
        assert headers["User-Agent"] == "collateral-tui"
        assert headers["Accept"] == "application/json"
    assert fake.headers[0]["Content-Type"] == "application/json"  # the signed POST


async def test_proxy_settings_in_the_environment_are_ignored(
    fake: FakeExchange, monkeypatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    fake.route(BALANCE, {"USDT": "1"})
    async with client(fake, max_read_retries=0) as rest:
        assert await rest.collateral_balance() == {"USDT": 1}


async def test_redirects_are_not_followed(fake: FakeExchange) -> None:
    fake.route(BALANCE, Raw(302, "", {"Location": "/elsewhere"}))
    fake.route("/elsewhere", {"USDT": "1"})
    async with client(fake) as rest:
        with pytest.raises(ApiError) as info:
            await rest.collateral_balance()
    assert info.value.status == 302
    assert fake.count("/elsewhere") == 0


async def test_lost_answer_means_the_request_may_have_been_sent(fake: FakeExchange) -> None:
    fake.route(CLOSE, Drop())
    async with client(fake) as rest:
        with pytest.raises(TransportError) as info:
            await rest.close_position(7, "BTC_PERP")
    assert info.value.sent is True
    assert fake.count(CLOSE) == 1  # never resent
    assert info.value.__cause__ is None and info.value.__context__ is None


async def test_timeout_after_sending_means_it_may_have_been_sent(fake: FakeExchange) -> None:
    fake.route(CLOSE, Sleep(0.5, {}))
    async with client(fake, timeout=0.2) as rest:
        with pytest.raises(TransportError) as info:
            await rest.close_position(7, "BTC_PERP")
    assert info.value.sent is True
    assert "timed out" in str(info.value)
    assert info.value.__context__ is None


async def test_no_free_pooled_connection_in_time_was_not_sent(fake: FakeExchange) -> None:
    """16 reads hold every pooled connection; a signed call waiting for one gives up after the
    connect timeout with sent=False (it never reached the exchange)."""
    fake.route(TICKER, Sleep(0.8, {}))
    fake.route(CLOSE, {})
    async with client(fake, timeout=3.0, connect_timeout=0.2, max_read_retries=0) as rest:
        reads = [asyncio.create_task(rest.tickers()) for _ in range(16)]
        while fake.count(TICKER) < 16:
            await asyncio.sleep(0.01)
        with pytest.raises(TransportError) as info:
            await rest.close_position(7, "BTC_PERP")
        await asyncio.gather(*reads)
    assert info.value.sent is False
    assert fake.count(CLOSE) == 0
    assert len(fake.peers) == 16  # the pool is bounded


async def test_calls_reuse_one_kept_alive_connection(fake: FakeExchange) -> None:
    fake.route(BALANCE, {"USDT": "1"})
    fake.route(TICKER, {})
    async with client(fake) as rest:
        for _ in range(3):
            await rest.collateral_balance()
            await rest.tickers()
    assert len(fake.calls) == 6
    assert len(fake.peers) == 1


async def test_an_unusable_url_was_not_sent() -> None:
    transport = HttpTransport("ftp://127.0.0.1:1", timeout=1.0, connect_timeout=1.0)
    try:
        with pytest.raises(TransportError) as info:
            await transport.send("GET", "ftp://127.0.0.1:1/api/v4/public/ticker")
    finally:
        await transport.aclose()
    assert info.value.sent is False
    assert info.value.path == "/api/v4/public/ticker"
    assert info.value.__cause__ is None and info.value.__context__ is None


async def test_a_read_timeout_on_a_read_is_retried_then_reported_as_sent(
    fake: FakeExchange,
) -> None:
    fake.route(TICKER, Sleep(0.5, {}))
    async with client(fake, timeout=0.1, max_read_retries=1) as rest:
        with pytest.raises(TransportError) as info:
            await rest.tickers()
    assert info.value.sent is True
    assert fake.count(TICKER) == 2  # a read is retried; the error is the last attempt's
    assert info.value.__context__ is None


async def test_the_transport_answers_any_status_with_its_headers_and_body(
    fake: FakeExchange,
) -> None:
    fake.route(TICKER, Raw(503, "busy", {"Retry-After": "7"}))
    transport = HttpTransport(fake.url, timeout=2.0, connect_timeout=1.0)
    try:
        got = await transport.send("GET", fake.url + TICKER)
    finally:
        await transport.aclose()
    assert got.status == 503
    assert got.headers["retry-after"] == "7"  # case-insensitive, as HTTP headers are
    assert got.body == b"busy"
    with pytest.raises(RuntimeError):
        await transport.send("GET", fake.url + TICKER)
