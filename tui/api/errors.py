"""Typed errors of the WhiteBIT client.

Every error carries what the exchange said (HTTP status, body ``code``, ``message`` and the
per-field ``errors``) plus the request path. None of them ever holds request headers, the API
key, the signed payload or the signature: an error is safe to log, show and put in a report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "ApiError",
    "AuthError",
    "MalformedResponseError",
    "NonceError",
    "NotFoundError",
    "OrderUncertainError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "ValidationError",
    "error_from_response",
    "normalize_errors",
]

_MAX_MESSAGE = 300


class ApiError(Exception):
    """An exchange call failed. ``str(err)`` is ``"[code N] message (field: msg; ...)"``."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        errors: Mapping[str, list[str]] | None = None,
        path: str = "",
    ) -> None:
        self.message = _clip(str(message)) if message else ""
        self.status = status
        self.code = code
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}
        self.path = path
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.code is not None:
            head = f"[code {self.code}]"
        elif self.status is not None:
            head = f"[HTTP {self.status}]"
        else:
            head = ""
        text = self.message or type(self).__name__
        out = f"{head} {text}" if head else text
        if self.errors:
            fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items())
            out = f"{out} ({fields})"
        return out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, errors={self.errors!r}, path={self.path!r})"
        )

    def __reduce__(  # pickling keeps the typed attributes (and still nothing secret)
        self,
    ) -> tuple[Callable[[type[ApiError], dict[str, Any]], ApiError], tuple[Any, ...]]:
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[ApiError], state: dict[str, Any]) -> ApiError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class AuthError(ApiError):
    """401/403, a disabled key, a bad signature or payload, a missing permission."""


class NonceError(ApiError):
    """HTTP 429 with body ``{"code":0,"message":"Too many requests."}``: the nonce was not greater
    than the last one the exchange saw for this key (or a ``nonceWindow`` nonce was a duplicate
    or more than 5 s ahead); or "Your nonce is more than 5 seconds lesser than the current
    nonce": a ``nonceWindow`` nonce behind the exchange's clock. The request was rejected, not
    executed."""


class RateLimitError(ApiError):
    """A real rate limit (any 429 that is not a nonce rejection)."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ValidationError(ApiError):
    """400/422: request validation or a business rule refused the request."""


class NotFoundError(ApiError):
    """404: unknown route."""


class ServerError(ApiError):
    """5xx, or a response the client could not understand (non-JSON, wrong shape)."""


class MalformedResponseError(ServerError):
    """A response arrived (often HTTP 200) but its body was not what the endpoint documents."""


class TransportError(ApiError):
    """Timeout or connection error. ``sent`` says whether the request may have reached the server
    (False: certainly not sent; True: it may have been, so an order must be looked up before it
    is sent again; None: unknown, treated as True)."""

    def __init__(self, *args: Any, sent: bool | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent = sent


class OrderUncertainError(ApiError):
    """An order whose fate could not be determined, even after looking it up by clientOrderId."""

    def __init__(self, *args: Any, client_order_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_order_id = client_order_id


# --------------------------------------------------------------------------------------------

#: Messages WhiteBIT uses for authentication/authorisation failures, whatever the HTTP status.
_AUTH_MESSAGES = (
    "payload not provided",
    "this action is unauthorized",
    "you don't have permission",
    "invalid payload",
    "unauthorized request",
    "nonce not provided",
    "invalid noncewindow",
    "request not provided",
    "this api key is not authorized",
)

_NONCE_MESSAGE = "too many requests."
#: A ``nonceWindow`` nonce more than 5 s behind the exchange's clock: refused, not executed.
_STALE_WINDOW_MESSAGE = "your nonce is more than"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def normalize_errors(raw: Any) -> dict[str, list[str]]:
    """WhiteBIT's ``errors`` member as ``{field: [messages]}`` (values may be strings or lists)."""
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        if isinstance(value, (list, tuple)):
            out[str(key)] = [_clip(str(v)) for v in value]
        elif value is None:
            out[str(key)] = []
        else:
            out[str(key)] = [_clip(str(value))]
    return out


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _fields_of(body: Any) -> tuple[int | None, str, dict[str, list[str]]]:
    """Pull ``code``/``message``/``errors`` out of any of WhiteBIT's error shapes."""
    if isinstance(body, Mapping):
        code = _int_or_none(body.get("code"))
        message = body.get("message")
        errors = normalize_errors(body.get("errors"))
        if "error" in body and not message:  # 500: {"error": ["Internal server error."]}
            err = body["error"]
            if isinstance(err, (list, tuple)):
                message = "; ".join(str(e) for e in err)
            elif isinstance(err, Mapping):
                code = code if code is not None else _int_or_none(err.get("code"))
                message = err.get("message")
            elif err is not None:
                message = str(err)
        # flat public 422: {"market": ["Market is not available."]}
        if (
            message is None
            and code is None
            and not errors
            and body
            and all(isinstance(v, (list, tuple, str)) for v in body.values())
        ):
            errors = normalize_errors(body)
            message = "Validation failed"
        return code, _clip(str(message)) if message else "", errors
    if isinstance(body, (list, tuple)) and body:
        return None, _clip("; ".join(str(b) for b in body)), {}
    return None, "", {}


def error_from_response(
    status: int,
    body: Any,
    path: str,
    *,
    text: str = "",
    retry_after: float | None = None,
) -> ApiError:
    """Map a non-success response to a typed error.

    ``body`` is the parsed JSON (or None when the body was not JSON); ``text`` is a short excerpt
    of a non-JSON body, used only for the message.
    """
    code, message, errors = _fields_of(body)
    if not message and text:
        message = _clip(text[:120])
    kwargs: dict[str, Any] = {"status": status, "code": code, "errors": errors, "path": path}
    lowered = message.lower()

    if lowered.startswith(_STALE_WINDOW_MESSAGE):
        return NonceError(message, **kwargs)
    if status == 429:
        if code == 0 and lowered == _NONCE_MESSAGE:
            return NonceError(message, **kwargs)
        return RateLimitError(message or "Too many requests", retry_after=retry_after, **kwargs)
    if status in (401, 403) or any(lowered.startswith(m) for m in _AUTH_MESSAGES):
        return AuthError(message or "Unauthorized", **kwargs)
    if status in (400, 422):
        return ValidationError(message or "Validation failed", **kwargs)
    if status == 404:
        return NotFoundError(message or "Not found", **kwargs)
    if status >= 500:
        return ServerError(message or "Server error", **kwargs)
    return ApiError(message or f"HTTP {status}", **kwargs)
