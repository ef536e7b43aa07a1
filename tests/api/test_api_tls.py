"""TLS settings of the REST client: plain-http endpoints skip loading a CA bundle, https
endpoints check certificates (certifi's CAs) and hostnames."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from aiohttp import web
from api_fakes import KEY, SECRET

from tui.api.errors import TransportError
from tui.api.rest import WhiteBitRest
from tui.api.signing import Credentials
from tui.api.transport import tls_context


def test_plain_http_gets_a_context_that_trusts_nothing() -> None:
    ctx = tls_context("http://127.0.0.1:8080")
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname is True
    assert ctx.get_ca_certs() == []  # nothing loaded: would refuse any certificate


def test_https_verifies_certificates_and_hostnames() -> None:
    ctx = tls_context("https://whitebit.com")
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname is True
    assert len(ctx.get_ca_certs()) > 10  # a real CA bundle is loaded
    assert tls_context("HTTPS://whitebit.com") is ctx  # loaded once per process


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_refuses_an_untrusted_certificate_before_sending(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"USDT": "1"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        rest = WhiteBitRest(
            f"https://localhost:{port}", Credentials(KEY, SECRET), timeout=2.0, max_read_retries=0
        )
        async with rest:
            with pytest.raises(TransportError) as info:
                await rest.collateral_balance()
    finally:
        await runner.cleanup()
    assert info.value.sent is False  # the handshake failed: the request never left
    assert "certificate" in str(info.value).lower()
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert seen == []
