"""A TestClient on the app over the test's store (SQLite, or PostgreSQL with `backend`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def web_settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from store.settings import load_settings

    monkeypatch.setenv("TENANTCTL_BASE_URL", "http://testserver")
    return load_settings()


@pytest.fixture
def make_client(web_settings: Any) -> Iterator[Callable[..., Any]]:
    from fastapi.testclient import TestClient

    from web.app import create_app

    clients: list[Any] = []

    def make(**kw: Any) -> Any:
        base_url = kw.pop("base_url", "http://testserver")
        client = TestClient(create_app(web_settings, **kw), base_url=base_url, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    return make_client()
