"""The pending-order journal is named by venue, URL and account, never by the key (issue 15)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tui.launcher.target import Target, pending_orders_path


def target(url: str, key: str) -> Target:
    return Target(url, url.replace("http", "ws"), key, "secret", live=True, embedded=False)


def test_the_journal_is_named_by_venue_url_and_account() -> None:
    a = pending_orders_path(target("https://whitebit.com", "key-of-desk-a-0123456789"))
    b = pending_orders_path(target("https://whitebit.com", "key-of-desk-b-0123456789"))
    c = pending_orders_path(target("https://other.example", "key-of-desk-a-0123456789"))
    assert len({a, b, c}) == 3  # desk B's journal is not desk A's
    assert a == pending_orders_path(target("https://whitebit.com", "key-of-desk-a-0123456789"))
    assert all("key-of" not in p.name and "0123456789" not in p.name for p in (a, b, c))


def test_an_older_per_url_journal_is_left_alone_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import hashlib

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = "https://whitebit.com"
    old = (
        tmp_path
        / "collateral-tui"
        / f"pending-orders-{hashlib.sha256(url.encode()).hexdigest()[:12]}.json"
    )
    old.parent.mkdir(parents=True)
    old.write_text('{"add": {"client_order_id": "someone-elses"}}\n')
    caplog.set_level(logging.WARNING, logger="tui.launcher")
    new = pending_orders_path(target(url, "key-of-desk-a-0123456789"))
    assert new != old and new.parent == old.parent
    assert str(old) in caplog.text
    assert old.read_text() == '{"add": {"client_order_id": "someone-elses"}}\n'  # untouched
