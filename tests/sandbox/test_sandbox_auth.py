"""Private request signing and nonce rules, exactly as WhiteBIT checks them."""

from __future__ import annotations

import base64
import json
import time

from .conftest import Client, sign_body

BALANCE = "/api/v4/collateral-account/balance"
TOO_MANY = {"code": 0, "errors": {}, "message": "Too many requests."}


async def test_signed_request_succeeds(client):
    reply = await client.post(BALANCE)
    assert reply.status == 200
    assert reply.json["USDT"] == 10000


async def test_nonce_must_strictly_increase(client):
    assert (await client.post(BALANCE, nonce=500)).status == 200
    for stale in (500, 499):
        reply = await client.post(BALANCE, nonce=stale)
        assert reply.status == 429
        assert reply.json == TOO_MANY
    assert (await client.post(BALANCE, nonce=501)).status == 200


async def test_nonce_may_be_a_decimal_string(client):
    assert (await client.post(BALANCE, nonce="1700000000001")).status == 200
    assert (await client.post(BALANCE, nonce="1700000000001")).status == 429
    assert (await client.post(BALANCE, nonce=1700000000002)).status == 200
    bad = await client.post(BALANCE, nonce="12a")
    assert bad.status == 400


async def test_nonce_window_accepts_recent_unique_timestamps(client):
    now = int(time.time() * 1000)
    first = await client.post(BALANCE, {"nonceWindow": True}, nonce=now)
    assert first.status == 200
    # out of order but inside the window: fine
    assert (await client.post(BALANCE, {"nonceWindow": True}, nonce=now - 1000)).status == 200
    duplicate = await client.post(BALANCE, {"nonceWindow": True}, nonce=now)
    assert duplicate.status == 429 and duplicate.json["code"] == 0
    stale = await client.post(BALANCE, {"nonceWindow": True}, nonce=now - 60_000)
    assert stale.status == 429
    bad_flag = await client.post(BALANCE, {"nonceWindow": "yes"}, nonce=now + 1)
    assert bad_flag.status == 400 and bad_flag.json["message"] == "Invalid nonceWindow."


async def test_payload_must_be_the_body(client):
    body, headers = client.signed(BALANCE)
    other = body.replace("}", ',"x":1}')
    reply = await client.raw(BALANCE, other, headers)
    assert reply.status == 400
    assert reply.json["code"] == 9 and reply.json["message"] == "Invalid payload."


async def test_bad_signature_and_unknown_key_are_unauthorized(client, http, sandbox):
    body, headers = client.signed(BALANCE)
    headers["X-TXC-SIGNATURE"] = "0" * 128
    reply = await client.raw(BALANCE, body, headers)
    assert reply.status == 401
    assert reply.json == {"code": 10, "message": "Unauthorized request."}
    stranger = Client(http, sandbox.rest_url, key="who", secret="what")
    reply = await stranger.post(BALANCE)
    assert reply.status == 401 and reply.json["code"] == 10
    wrong_secret = Client(http, sandbox.rest_url, secret="not-the-secret")
    assert (await wrong_secret.post(BALANCE)).status == 401


async def test_missing_payload_header(client):
    body, headers = client.signed(BALANCE)
    del headers["X-TXC-PAYLOAD"]
    reply = await client.raw(BALANCE, body, headers)
    assert reply.status == 400 and reply.json["message"] == "Payload not provided."


async def test_request_field_must_match_the_path(client):
    body, headers = client.signed("/api/v4/collateral-account/summary")
    reply = await client.raw(BALANCE, body, headers)
    assert reply.status == 400 and reply.json["code"] == 9
    assert "request" in reply.json["errors"]


async def test_missing_nonce_and_request(client):
    for data, message in (
        ({"request": BALANCE}, "Nonce not provided."),
        ({"nonce": client.next_nonce()}, "Request not provided."),
    ):
        body = json.dumps(data, separators=(",", ":"))
        payload, signature = sign_body(body)
        headers = {
            "X-TXC-APIKEY": client.key,
            "X-TXC-PAYLOAD": payload,
            "X-TXC-SIGNATURE": signature,
            "Content-Type": "application/json",
        }
        reply = await client.raw(BALANCE, body, headers)
        assert reply.status == 400 and reply.json["message"] == message


async def test_body_that_is_not_a_json_object(client):
    body = "[1,2,3]"
    payload, signature = sign_body(body)
    headers = {"X-TXC-APIKEY": client.key, "X-TXC-PAYLOAD": payload, "X-TXC-SIGNATURE": signature}
    reply = await client.raw(BALANCE, body, headers)
    assert reply.status == 400 and reply.json["code"] == 9


async def test_spaced_json_is_accepted_when_payload_equals_body(client):
    data = {"request": BALANCE, "nonce": client.next_nonce()}
    body = json.dumps(data)  # default separators, with spaces
    assert " " in body
    payload = base64.b64encode(body.encode()).decode()
    _, signature = sign_body(body)
    headers = {
        "X-TXC-APIKEY": client.key,
        "X-TXC-PAYLOAD": payload,
        "X-TXC-SIGNATURE": signature,
        "Content-Type": "application/json",
    }
    assert (await client.raw(BALANCE, body, headers)).status == 200


async def test_unexpected_exception_is_a_plain_500(client, sandbox, monkeypatch):
    def explode():
        raise RuntimeError("boom with /secret/path")

    monkeypatch.setattr(sandbox.engine, "summary", explode)
    reply = await client.post("/api/v4/collateral-account/summary")
    assert reply.status == 500
    assert reply.json == {"error": ["Internal server error."]}
    assert "boom" not in reply.text and "Traceback" not in reply.text
