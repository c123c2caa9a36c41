"""A TestClient on the app over the test's store (SQLite, or PostgreSQL with `backend`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def web_settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from tenantctl.store.settings import load_settings

    monkeypatch.setenv("TENANTCTL_BASE_URL", "http://testserver")
    return load_settings()


@pytest.fixture
def make_client(web_settings: Any) -> Iterator[Callable[..., Any]]:
    from fastapi.testclient import TestClient

    from tenantctl.web.app import create_app

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


@pytest.fixture
def outbox(tmp_path: Path) -> Callable[[], list[Any]]:
    """The .eml files the file transport wrote, oldest first."""
    from mailhelpers import read_eml

    return lambda: read_eml(tmp_path / "home" / "outbox")


@pytest.fixture
def rows(store: Any) -> Callable[..., list[Any]]:
    """rows(Model, field=value, …): the stored rows, read in a fresh transaction."""
    from sqlmodel import select

    def read(model: Any, **equals: Any) -> list[Any]:
        with store.transaction(write=False) as s:
            stmt = select(model)
            for name, value in equals.items():
                stmt = stmt.where(getattr(model, name) == value)
            return list(s.exec(stmt).all())

    return read


@pytest.fixture
def password_token(ctx_for: Any) -> Callable[..., str]:
    """password_token("max.mueller") -> a fresh link's token (the link as `--print-link` makes it)."""
    from tenantctl.store.services import passwords
    from tenantctl.store.services.users import get_user

    def make(login: str, purpose: str | None = None) -> str:
        with ctx_for() as ctx:
            link = passwords.issue_links(ctx, [get_user(ctx, login)], purpose, mail=False)[0]
            return passwords.mint_now(ctx, [link])[link.id]

    return make



# -- the browser tests: the app on a loopback port, headless Chromium from the Debian packages ----

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def server(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1:<free port>; base_url points at it."""
    import uvicorn
    from mailhelpers import free_port

    from tenantctl.store.settings import load_settings
    from tenantctl.web.app import create_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("TENANTCTL_BASE_URL", base)
    config = uvicorn.Config(create_app(load_settings()), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield base
    srv.should_exit = True
    thread.join(5)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
