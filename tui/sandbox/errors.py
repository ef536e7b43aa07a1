"""The exchange's error responses, raised by the engine and the request layer alike.

WhiteBIT's private error body is ``{"code": int, "message": str, "errors": {field: [msg, ...]}}``.
Request-level checks answer ``"Validation failed"`` (codes 0 and 30-43) with HTTP 422, engine
(business) checks answer ``"Inner validation failed"`` (1, 2, 10, 104, 113-116, ...) with HTTP 400:
the OAS pairs "400 Inner validation failed" with "422 Request validation failed" on most endpoints.
"""

from __future__ import annotations

from typing import Any

VALIDATION = "Validation failed"
INNER = "Inner validation failed"


class ApiError(Exception):
    """An error answer: HTTP ``status`` and the JSON ``body`` to send."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body!r}")
        self.status = status
        self.body = body

    @property
    def code(self) -> int | None:
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def errors(self) -> dict[str, list[str]]:
        if isinstance(self.body, dict) and isinstance(self.body.get("errors"), dict):
            return self.body["errors"]
        return {}

    def as_bulk_error(self) -> dict[str, Any]:
        """The ``error`` member of one bulk-order result."""
        body = self.body if isinstance(self.body, dict) else {}
        return {
            "code": body.get("code", 0),
            "message": body.get("message", ""),
            "errors": body.get("errors", {}),
        }


def validation(code: int, field: str, message: str) -> ApiError:
    """Request-level validation failure (HTTP 422, ``Validation failed``)."""
    return ApiError(422, {"code": code, "message": VALIDATION, "errors": {field: [message]}})


def inner(code: int, field: str, message: str) -> ApiError:
    """Engine-level (business) failure (HTTP 400, ``Inner validation failed``)."""
    return ApiError(400, {"code": code, "message": INNER, "errors": {field: [message]}})


def required(field: str) -> ApiError:
    label = field[:1].upper() + field[1:]
    return validation(30, field, f"{label} field is required.")


def not_found(field: str = "orderId") -> ApiError:
    return inner(2, field, "Unexecuted order was not found.")


def unauthorized() -> ApiError:
    return ApiError(401, {"code": 10, "message": "Unauthorized request."})


def invalid_payload(message: str = "Invalid payload.", errors: dict | None = None) -> ApiError:
    return ApiError(400, {"code": 9, "message": message, "errors": errors or {}})


def bad_nonce(message: str = "Too many requests.") -> ApiError:
    """A stale/duplicate nonce: WhiteBIT answers 429 like a rate limit (code 0)."""
    return ApiError(429, {"code": 0, "errors": {}, "message": message})


INTERNAL_ERROR_BODY = {"error": ["Internal server error."]}
