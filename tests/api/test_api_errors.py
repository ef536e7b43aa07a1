"""Mapping of WhiteBIT error responses to typed errors (no server needed)."""

from __future__ import annotations

import pickle

import pytest

from tui.api.errors import (
    ApiError,
    AuthError,
    NonceError,
    NotFoundError,
    OrderUncertainError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    error_from_response,
)

P = "/api/v4/order/collateral/limit"


def test_bad_nonce_is_told_apart_from_rate_limiting_by_the_body() -> None:
    nonce = error_from_response(429, {"code": 0, "errors": {}, "message": "Too many requests."}, P)
    assert type(nonce) is NonceError
    assert nonce.status == 429 and nonce.code == 0
    # Real rate limits: gateway non-JSON body, or another message.
    gateway = error_from_response(
        429, None, P, text="<html>429 Too Many Requests</html>", retry_after=2
    )
    assert type(gateway) is RateLimitError
    assert gateway.retry_after == 2
    throttle = error_from_response(429, {"message": "Too Many Attempts.", "code": 0}, P)
    assert type(throttle) is RateLimitError


def test_a_windowed_nonce_too_old_is_a_nonce_rejection() -> None:
    """The exchange's answer to a ``nonceWindow`` nonce more than 5 s behind its clock (spec,
    auth messages): a nonce rejection (not executed, safe to repeat), not a rate limit, so the
    client can fall back to growing nonces."""
    message = "Your nonce is more than 5 seconds lesser than the current nonce"
    for status in (429, 400, 401):
        err = error_from_response(status, {"code": 0, "errors": {}, "message": message}, P)
        assert type(err) is NonceError, status
        assert str(err) == f"[code 0] {message}"


def test_validation_error_carries_fields_and_formats() -> None:
    body = {
        "code": 32,
        "message": "Validation failed",
        "errors": {
            "amount": ["Given amount is less than min amount 0.001", "Min amount step = 0.001"]
        },
    }
    err = error_from_response(422, body, P)
    assert type(err) is ValidationError
    assert err.code == 32 and err.status == 422 and err.path == P
    assert err.errors == {
        "amount": ["Given amount is less than min amount 0.001", "Min amount step = 0.001"]
    }
    assert str(err) == (
        "[code 32] Validation failed (amount: Given amount is less than min amount 0.001, "
        "Min amount step = 0.001)"
    )


@pytest.mark.parametrize(
    "status,body,text,cls,code,message",
    [
        (
            400,
            {
                "code": 10,
                "message": "Inner validation failed",
                "errors": {"amount": ["Not enough balance."]},
            },
            "",
            ValidationError,
            10,
            "Inner validation failed",
        ),
        (
            401,
            {"code": 10, "message": "Unauthorized request."},
            "",
            AuthError,
            10,
            "Unauthorized request.",
        ),
        (
            403,
            {"code": 2, "message": "This action is unauthorized. Enable your key in API settings"},
            "",
            AuthError,
            2,
            "This action is unauthorized. Enable your key in API settings",
        ),
        # FAC: payload != body comes back as HTTP 400 code 9: a signing problem, not user input.
        (400, {"code": 9, "message": "Invalid payload."}, "", AuthError, 9, "Invalid payload."),
        (404, None, "", NotFoundError, None, "Not found"),
        (
            500,
            {"error": ["Internal server error."]},
            "",
            ServerError,
            None,
            "Internal server error.",
        ),
        (
            503,
            None,
            "<html>Service Unavailable</html>",
            ServerError,
            None,
            "<html>Service Unavailable</html>",
        ),
        (
            451,
            {"success": False, "message": "api.futures.unavailable", "errors": []},
            "",
            ApiError,
            None,
            "api.futures.unavailable",
        ),
    ],
)
def test_status_and_body_mapping(status, body, text, cls, code, message) -> None:
    err = error_from_response(status, body, P, text=text)
    assert type(err) is cls
    assert err.status == status
    assert err.code == code
    assert err.message == message


def test_flat_public_validation_body() -> None:
    err = error_from_response(
        422, {"market": ["Market is not available."]}, "/api/v4/public/orderbook/X"
    )
    assert isinstance(err, ValidationError)
    assert err.errors == {"market": ["Market is not available."]}
    assert str(err) == "[HTTP 422] Validation failed (market: Market is not available.)"


def test_string_valued_errors_are_normalised() -> None:
    err = error_from_response(
        422, {"code": 30, "message": "Validation failed", "errors": {"limit": "bad"}}, P
    )
    assert err.errors == {"limit": ["bad"]}


def test_errors_pickle_and_keep_their_fields() -> None:
    err = TransportError("Request timed out", path=P, sent=True)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is TransportError and back.sent is True and back.path == P
    unc = OrderUncertainError("unknown", client_order_id="ct-1")
    back2 = pickle.loads(pickle.dumps(unc))
    assert back2.client_order_id == "ct-1" and str(back2) == "unknown"


def test_str_and_repr_show_only_what_the_exchange_said() -> None:
    err = error_from_response(401, {"code": 10, "message": "Unauthorized request."}, P)
    assert str(err) == "[code 10] Unauthorized request."
    assert "X-TXC" not in repr(err)
    assert set(vars(err)) <= {"message", "status", "code", "errors", "path"}
