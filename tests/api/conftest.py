"""Fixtures for tests/api."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from api_fakes import FakeExchange


@pytest.fixture
async def fake() -> AsyncIterator[FakeExchange]:
    ex = FakeExchange()
    await ex.start()
    try:
        yield ex
    finally:
        await ex.stop()
