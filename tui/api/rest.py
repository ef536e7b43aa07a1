"""Async WhiteBIT REST client for collateral (margin + futures) trading.

* One :class:`~tui.api.transport.HttpTransport` (one long-lived ``httpx.AsyncClient``) per
  instance, that is per account: a bounded keep-alive pool, explicit timeouts and a total
  deadline per call, no proxy settings from the environment, no redirects, certificate checks
  for https.
* Private calls are signed (see :mod:`tui.api.signing`) and run concurrently: no lock is held
  across an exchange, so a slow read never holds up an order. Each nonce is taken at send time
  from one increasing counter and sent with ``nonceWindow: true`` (the spec's mode for
  concurrent senders: unique and within +-5 s of the exchange's clock, in any arrival order).
  If the exchange refuses those twice (its clock is not ours), calls go without it, one at a
  time, for a minute (see ``RestCore._send_signed`` and ``RestCore._call``).
* JSON is decoded with ``parse_float=Decimal``; amounts are sent as plain decimal strings.
* Reads retry on rate limits, 5xx and transport errors with exponential backoff + jitter
  (bounded). A nonce rejection (HTTP 429 ``{"code":0,"message":"Too many requests."}``) means
  the exchange refused the request before doing anything: the nonce source jumps ahead by a
  growing step and the call is repeated a bounded number of times, for any call.
* Orders are never blindly retried: see :mod:`tui.api.rest_orders` (reconciliation by
  ``clientOrderId``, at most one resend, :class:`~tui.api.errors.OrderUncertainError`).
* Secrets never reach logs, reprs or errors. Errors raised here carry no ``__cause__`` /
  ``__context__`` pointing at httpx objects (which hold the request headers).
"""

from __future__ import annotations

from .rest_account import AccountEndpoints
from .rest_core import NONCE_JUMPS_MS
from .rest_orders import OrderEndpoints, decimal_str, new_client_order_id

__all__ = ["NONCE_JUMPS_MS", "WhiteBitRest", "decimal_str", "new_client_order_id"]


class WhiteBitRest(AccountEndpoints, OrderEndpoints):
    """WhiteBIT REST client. Use as ``async with WhiteBitRest(url, creds) as rest: ...``."""
