from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest


@pytest.fixture
def http(api_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.url + "/api/v1", timeout=30) as client:
        yield client


@pytest.fixture
def token(api_server: Any) -> Callable[..., str]:
    """token("rita.reseller") -> a fresh API token for that login (None: an operator admin)."""
    from apiserver import token_for

    return lambda login=None, name="test": token_for(api_server.runtime.store, login, name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
