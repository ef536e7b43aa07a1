"""Signing, credentials redaction and nonces (no server needed)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import threading
from decimal import Decimal

import pytest

from tui.api.signing import (
    RESERVE_MS,
    TOP_UP_BELOW_MS,
    Credentials,
    NonceSource,
    encode_body,
    sign_request,
)
from tui.domain.models import Side

SECRET = "demo-secret"
KEY = "demo-key-0123456789"

# Computed independently with coreutils + openssl:
#   printf '%s' "$BODY" | base64 -w0 ; printf '%s' "$PAYLOAD" | openssl dgst -sha512 -hmac demo-secret
VECTOR_BODY = (
    b'{"market":"BTC_PERP","side":"buy","amount":"0.001","price":"30000",'
    b'"request":"/api/v4/order/collateral/limit","nonce":1700000000000}'
)
VECTOR_PAYLOAD = (
    "eyJtYXJrZXQiOiJCVENfUEVSUCIsInNpZGUiOiJidXkiLCJhbW91bnQiOiIwLjAwMSIsInByaWNlIjoiMzAwMDAiLCJy"
    "ZXF1ZXN0IjoiL2FwaS92NC9vcmRlci9jb2xsYXRlcmFsL2xpbWl0Iiwibm9uY2UiOjE3MDAwMDAwMDAwMDB9"
)
VECTOR_SIGNATURE = (
    "9b98d1909b73a85f4a98067b1e4c2140e4486be0337872aa75965b758407fa75"
    "158ca1c4ce574e232347d6f8fca5043c60392ff080b4890ae5d8d52e53cfc808"
)


def test_known_vector() -> None:
    signed = sign_request(
        "/api/v4/order/collateral/limit",
        {"market": "BTC_PERP", "side": "buy", "amount": "0.001", "price": "30000"},
        Credentials(KEY, SECRET),
        1700000000000,
    )
    assert signed.body == VECTOR_BODY
    assert signed.headers["X-TXC-PAYLOAD"] == VECTOR_PAYLOAD
    assert signed.headers["X-TXC-SIGNATURE"] == VECTOR_SIGNATURE
    assert signed.headers["X-TXC-APIKEY"] == KEY
    assert signed.headers["Content-Type"] == "application/json"


def _official_helper(path: str, data: dict, nonce: int) -> tuple[bytes, str, str]:
    """WhiteBIT's quickstart helper, with the compact separators the auth docs require."""
    data = dict(data)
    data["request"] = path
    data["nonce"] = nonce
    data_json = json.dumps(data, separators=(",", ":"))
    payload_b64 = base64.b64encode(data_json.encode()).decode()
    signature = hmac.new(SECRET.encode(), payload_b64.encode(), hashlib.sha512).hexdigest()
    return data_json.encode(), payload_b64, signature


@pytest.mark.parametrize(
    "path,params",
    [
        ("/api/v4/collateral-account/balance", {}),
        ("/api/v4/collateral-account/leverage", {"leverage": 5}),
        ("/api/v4/collateral-account/hedge-mode/update", {"hedgeMode": True}),
        ("/api/v4/collateral-account/positions/open", {"market": "BTC_USDT"}),
        (
            "/api/v4/order/collateral/bulk",
            {"orders": [{"market": "BTC_USDT", "amount": "1"}], "stopOnFail": False},
        ),
    ],
)
def test_matches_official_helper(path: str, params: dict) -> None:
    nonce = 1712345678901
    body, payload, signature = _official_helper(path, params, nonce)
    signed = sign_request(path, params, Credentials(KEY, SECRET), nonce)
    assert signed.body == body
    assert base64.b64decode(signed.headers["X-TXC-PAYLOAD"]) == signed.body
    assert signed.headers["X-TXC-PAYLOAD"] == payload
    assert signed.headers["X-TXC-SIGNATURE"] == signature
    assert b" " not in signed.body  # compact JSON


def test_request_and_nonce_cannot_be_overridden_by_params() -> None:
    signed = sign_request(
        "/api/v4/orders", {"request": "/evil", "nonce": 1}, Credentials(KEY, SECRET), 99
    )
    data = json.loads(signed.body)
    assert data["request"] == "/api/v4/orders"
    assert data["nonce"] == 99


def test_decimals_are_plain_strings_and_floats_refused() -> None:
    body = encode_body({"amount": Decimal("1E-7"), "price": Decimal("6E+4"), "side": Side.BUY})
    assert body == b'{"amount":"0.0000001","price":"60000","side":"buy"}'
    with pytest.raises(TypeError):
        encode_body({"amount": 0.1})
    with pytest.raises(TypeError):
        encode_body({"orders": [{"amount": 0.1}]})
    with pytest.raises(ValueError):
        encode_body({"amount": Decimal("NaN")})


def test_credentials_are_redacted() -> None:
    creds = Credentials("ABCDEFGHIJKLMNOPQRSTUVWX", "super-secret-value-123")
    for text in (
        repr(creds),
        str(creds),
        f"{creds}",
        f"{creds!r}",
        repr([creds]),
        repr({"c": creds}),
    ):
        assert "super-secret-value-123" not in text
        assert "ABCDEFGHIJKLMNOPQRSTUVWX" not in text
    assert repr(creds) == "Credentials(api_key='ABCD…', api_secret=<redacted>)"
    # A short key is not shown at all.
    assert "abc" not in repr(Credentials("abc", "s"))


def test_signed_request_repr_hides_headers() -> None:
    signed = sign_request("/api/v4/orders", {}, Credentials(KEY, SECRET), 5)
    text = repr(signed) + str(signed)
    assert KEY not in text
    assert signed.headers["X-TXC-SIGNATURE"] not in text
    assert signed.headers["X-TXC-PAYLOAD"] not in text


# ----------------------------------------------------------------------------- nonces


def test_nonce_strictly_increases_with_a_frozen_or_backward_clock() -> None:
    now = [1_000]
    src = NonceSource(clock=lambda: now[0])
    values = [src.next() for _ in range(5)]
    assert values == [1000, 1001, 1002, 1003, 1004]
    now[0] = 500  # clock jumps back
    assert src.next() == 1005
    now[0] = 5_000
    assert src.next() == 5_000


def test_nonce_bump() -> None:
    src = NonceSource(clock=lambda: 100)
    assert src.next() == 100
    assert src.bump(10_000) == 10_000
    assert src.next() == 10_001
    assert src.bump(5) == 10_001  # never goes back


async def test_nonce_unique_and_increasing_under_50_concurrent_tasks() -> None:
    src = NonceSource(clock=lambda: 42)  # worst case: every task sees the same ms
    got: list[int] = []

    async def worker() -> None:
        for _ in range(20):
            got.append(src.next())
            await asyncio.sleep(0)

    await asyncio.gather(*(worker() for _ in range(50)))
    assert len(got) == 1000
    assert len(set(got)) == 1000
    assert got == sorted(got)  # handed out in order


def test_nonce_unique_across_threads() -> None:
    src = NonceSource()
    per_thread: list[list[int]] = [[] for _ in range(8)]

    def worker(out: list[int]) -> None:
        for _ in range(500):
            out.append(src.next())

    threads = [threading.Thread(target=worker, args=(o,)) for o in per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [n for o in per_thread for n in o]
    assert len(set(flat)) == len(flat) == 4000
    for o in per_thread:
        assert o == sorted(o) and len(set(o)) == len(o)


def test_nonce_persists_across_restart(tmp_path) -> None:
    path = tmp_path / "state" / "nonce"
    clock = [10_000]
    first = NonceSource(path, clock=lambda: clock[0])
    for _ in range(3):
        first.next()
    first.bump(50_000)
    assert path.read_text() == "50000"
    # "Restart" with a clock that is now behind the last nonce used.
    clock[0] = 20_000
    second = NonceSource(path, clock=lambda: clock[0])
    assert second.next() == 50_001
    # the mark on disk is reserved ahead of the nonce that passed it
    assert int(path.read_text()) == 50_001 + RESERVE_MS


def test_the_nonce_mark_is_written_once_per_reserve(tmp_path) -> None:
    path = tmp_path / "nonce"
    clock = [10_000]
    src = NonceSource(path, clock=lambda: clock[0])
    src.next()
    inode = os.stat(path).st_ino
    for _ in range(100):  # a burst in one millisecond: nonces 10_001 .. 10_100
        src.next()
    assert os.stat(path).st_ino == inode  # not rewritten (os.replace makes a new inode)
    assert int(path.read_text()) == 10_000 + RESERVE_MS
    later = 10_000 + RESERVE_MS + 1
    clock[0] = later  # past the mark: written again, ahead again
    assert src.next() == later
    assert int(path.read_text()) == later + RESERVE_MS
    # a restart continues above everything handed out, even with the clock behind
    clock[0] = 0
    assert NonceSource(path, clock=lambda: clock[0]).next() == later + RESERVE_MS + 1


def test_a_top_up_moves_the_mark_before_a_nonce_reaches_it(tmp_path) -> None:
    """With less than TOP_UP_BELOW_MS left, top_up() (the REST client runs it in a worker
    thread, after the request) reserves RESERVE_MS above the last nonce, so the next nonces,
    an order's, need no file write on their way to the exchange."""
    path = tmp_path / "nonce"
    clock = [10_000]
    src = NonceSource(path, clock=lambda: clock[0])
    src.next()  # mark 10_000 + RESERVE_MS
    clock[0] += RESERVE_MS - TOP_UP_BELOW_MS - 1  # still more than TOP_UP_BELOW_MS left
    src.next()
    assert not src.needs_top_up()
    inode = os.stat(path).st_ino
    src.top_up()
    assert os.stat(path).st_ino == inode  # nothing to do yet
    clock[0] += 2  # now less than TOP_UP_BELOW_MS left
    last = src.next()
    assert src.needs_top_up()
    assert os.stat(path).st_ino == inode  # next() itself did not write
    src.top_up()
    assert int(path.read_text()) == last + RESERVE_MS and not src.needs_top_up()
    inode = os.stat(path).st_ino
    clock[0] = 10_000 + RESERVE_MS + 1  # past the old mark, below the topped-up one
    assert src.next() == clock[0]
    assert os.stat(path).st_ino == inode  # no write on the way


def test_racing_top_ups_never_leave_a_nonce_above_the_mark(tmp_path) -> None:
    """top_up() in a thread while next() runs past the mark: the file never holds a mark below
    a nonce already handed out (the later of two writes must not lower it)."""
    path = tmp_path / "nonce"
    clock = [0]
    src = NonceSource(path, clock=lambda: clock[0])
    stop = threading.Event()

    def topper() -> None:
        while not stop.is_set():
            src.top_up()

    thread = threading.Thread(target=topper)
    thread.start()
    try:
        for _ in range(300):
            clock[0] += RESERVE_MS // 3  # half the calls reach a mark that is not topped up
            nonce = src.next()
            assert nonce <= int(path.read_text())
    finally:
        stop.set()
        thread.join()
    assert src.last <= int(path.read_text())


def test_corrupt_nonce_file_falls_back_ahead_of_the_clock(tmp_path) -> None:
    path = tmp_path / "nonce"
    path.write_text("garbage")
    src = NonceSource(path, clock=lambda: 777)
    assert src.next() == 777 + RESERVE_MS + 1  # above any nonce a lost mark could have covered
    assert path.read_text() == str(777 + 2 * RESERVE_MS + 1)  # rewritten: a valid mark again
