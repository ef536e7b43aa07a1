"""WhiteBIT private-request authentication, exactly as the exchange checks it.

- ``X-TXC-APIKEY`` names the key; ``X-TXC-SIGNATURE`` is the lowercase hex HMAC-SHA512 of the
  ``X-TXC-PAYLOAD`` *string* (the base64 text) keyed with the secret; ``X-TXC-PAYLOAD`` must be
  the base64 of the exact body bytes. Unknown key / bad signature -> 401 code 10; payload that is
  not the body -> 400 code 9 "Invalid payload.". Any JSON formatting is accepted (the quickstart's
  spaced ``json.dumps`` too) because only payload == body is compared.
- The body is a JSON object with ``request`` == the URL path and ``nonce`` (an integer or a
  decimal string). Without ``nonceWindow`` the nonce must be strictly greater than the last one
  used with the key, else HTTP 429 ``{"code":0,"errors":{},"message":"Too many requests."}``.
  With ``nonceWindow: true`` it must be a Unix-ms timestamp within +-5 s of server time and not
  seen before (429 otherwise). Every accepted nonce raises the key's high-water mark (decision:
  the docs do not say whether windowed nonces count; counting them keeps one monotonic rule).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from . import errors, numbers

NONCE_WINDOW_MS = 5000
_NONCE_RE = re.compile(r"^[0-9]{1,30}$")


def sign(secret: str, payload_b64: str) -> str:
    return hmac.new(secret.encode(), payload_b64.encode(), hashlib.sha512).hexdigest()


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Parse a request body (bounded numbers and depth, ``numbers.loads``); anything but a JSON
    object is invalid."""
    try:
        data = numbers.loads(body)
    except ValueError:  # UnicodeDecodeError and numbers.TooDeep included
        raise errors.invalid_payload() from None
    if not isinstance(data, dict):
        raise errors.invalid_payload()
    return data


class NonceBook:
    """Per-key nonce state: the last (highest) nonce and recently seen windowed nonces."""

    def __init__(
        self,
        last: Mapping[str, int] | None = None,
        window_seen: Mapping[str, Mapping[int, int]] | None = None,
    ) -> None:
        self.last: dict[str, int] = dict(last or {})
        # key -> {windowed nonce: server ms when seen}; saved with the marks (a restart must not
        # make a captured windowed request valid again within its 5 s window)
        # (each key's dict in arrival order, so the stale ones are at its front)
        self.window_seen: dict[str, dict[int, int]] = {
            k: dict(sorted(v.items(), key=lambda item: item[1]))
            for k, v in (window_seen or {}).items()
        }
        #: what changed in ``window_seen`` since the store last wrote it: ``(key, nonce, ms)``
        #: for a nonce seen, ``(key, nonce, None)`` for one forgotten. The server hands it to
        #: the store with each commit and clears it once written.
        self.window_changes: list[tuple[str, int, int | None]] = []

    def check(self, key: str, nonce: int, window: bool, now_ms: int) -> None:
        if window:
            if nonce < now_ms - NONCE_WINDOW_MS:
                raise errors.bad_nonce(
                    "Your nonce is more than 5 seconds lesser than the current nonce"
                )
            if nonce > now_ms + NONCE_WINDOW_MS:
                raise errors.bad_nonce()
            seen = self.window_seen.setdefault(key, {})
            cutoff = now_ms - 2 * NONCE_WINDOW_MS
            stale = []
            for old, at in seen.items():  # oldest first: stop at the first recent one
                if at >= cutoff:
                    break
                stale.append(old)
            for old in stale:
                del seen[old]
                self.window_changes.append((key, old, None))
            if nonce in seen:
                raise errors.bad_nonce()
            seen[nonce] = now_ms
            self.window_changes.append((key, nonce, now_ms))
        else:
            last = self.last.get(key)
            if last is not None and nonce <= last:
                raise errors.bad_nonce()
        self.last[key] = max(nonce, self.last.get(key, nonce))


def parse_nonce(value: Any) -> int:
    if isinstance(value, bool):
        raise errors.ApiError(400, {"code": 0, "message": "Invalid nonce.", "errors": {}})
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _NONCE_RE.match(value):
        return int(value)
    raise errors.ApiError(400, {"code": 0, "message": "Invalid nonce.", "errors": {}})


def authenticate(
    *,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, str],
    nonces: NonceBook,
    now_ms: int,
) -> tuple[str, dict[str, Any]]:
    """Verify one private request; returns (api key, parsed body) or raises ``ApiError``."""
    payload = headers.get("X-TXC-PAYLOAD", "")
    if not payload:
        raise errors.invalid_payload("Payload not provided.")
    key = headers.get("X-TXC-APIKEY", "")
    secret = keys.get(key) if key else None
    signature = headers.get("X-TXC-SIGNATURE", "")
    if secret is None or not signature:
        raise errors.unauthorized()
    if not hmac.compare_digest(sign(secret, payload), signature.strip().lower()):
        raise errors.unauthorized()
    try:
        decoded = base64.b64decode(payload.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise errors.invalid_payload() from None
    if decoded != body:
        raise errors.invalid_payload()
    data = parse_json_object(body)
    request = data.get("request")
    if request is None or request == "":
        raise errors.ApiError(400, {"code": 0, "message": "Request not provided.", "errors": {}})
    if request != path:
        raise errors.invalid_payload(
            errors={"request": ["The request field does not match the endpoint path."]}
        )
    if "nonce" not in data or data["nonce"] in (None, ""):
        raise errors.ApiError(400, {"code": 0, "message": "Nonce not provided.", "errors": {}})
    nonce = parse_nonce(data["nonce"])
    window = data.get("nonceWindow", False)
    if not isinstance(window, bool):
        raise errors.ApiError(400, {"code": 0, "message": "Invalid nonceWindow.", "errors": {}})
    nonces.check(key, nonce, window, now_ms)
    return key, data
