"""A damaged nonce file never stops the desk, and the nonce never goes backwards (issue 15)."""

from __future__ import annotations

import logging
from pathlib import Path

from tui.api.signing import RESERVE_MS, NonceSource


def test_a_nonce_file_with_a_bad_byte_falls_back_ahead_of_the_clock(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="tui.api.signing")
    path = tmp_path / "nonce-abc"
    for junk in (b"1700000000000\xff", b"9" * 400, b"\xff"):
        path.write_bytes(junk)
        nonces = NonceSource(path, clock=lambda: 1_000_000)
        first = nonces.next()
        # the mark is lost: continue a reserve above the clock, as far as a mark could be
        assert first >= 1_000_000 + RESERVE_MS
        assert first < 10**15  # a timestamp the exchange accepts, not the 400 digits
        assert int(path.read_text()) >= first  # and a readable mark is written again
    assert caplog.text.count("nonce file") == 3
