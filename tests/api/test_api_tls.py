"""TLS settings of the REST client: plain-http endpoints skip loading the CA bundle, https
endpoints keep httpx's certificate checks."""

from __future__ import annotations

import ssl

from tui.api.rest import _tls_context


def test_plain_http_gets_a_context_that_trusts_nothing() -> None:
    ctx = _tls_context("http://127.0.0.1:8080")
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname is True
    assert ctx.get_ca_certs() == []  # nothing loaded: would refuse any certificate


def test_https_keeps_the_default_verification() -> None:
    assert _tls_context("https://whitebit.com") is True
    assert _tls_context("HTTPS://whitebit.com") is True
