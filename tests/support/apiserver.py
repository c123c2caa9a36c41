"""A tenantctl API server on loopback for the tests: one uvicorn per test process (in a thread),
pointed at each test's own store; and the CLI runner of remote mode (a token per actor)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


class LoopbackServer:
    """`tenantctl serve`'s application (web.app.create_app) under uvicorn; `use()` points it at a
    test's store."""

    def __init__(self, settings: Any) -> None:
        import uvicorn

        from tenantctl.web.app import create_app
        from tenantctl.web.limits import Limits

        root = create_app(settings, limits=Limits.unlimited())
        self.app = root
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(root, host="127.0.0.1", port=self.port, log_config=None, log_level="critical",
                                access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="tenantctl-test-api")
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test API server did not start")
            time.sleep(0.01)

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    def use(self, settings: Any, limits: Any = None) -> None:
        from tenantctl.store.db import Store
        from tenantctl.web.limits import Limits
        from tenantctl.web.runtime import Runtime

        self.runtime.close()
        self.app.state.runtime = Runtime(settings, Store(settings.database_url))
        self.app.state.limits = limits or Limits.unlimited()

    def stop(self) -> None:
        self.runtime.close()
        self.server.should_exit = True
        self.thread.join(timeout=5)


OPERATOR_TOKEN = "operator"


def same_labels(login: str, token_name: str) -> str:
    """In the both-modes tests a change made with a token is recorded as the local command records
    it (the login; the operator's stand-in as the operator), so the store after a command compares
    equal in both modes. The real label, 'login via token "name"', is tested in tests/api."""
    from tenantctl.store.actor import operator_actor

    return operator_actor().label if token_name == OPERATOR_TOKEN else login


def token_for(store: Any, login: str | None, name: str = "test") -> str:
    """A fresh token for this login (None: an admin of the operator tenant, the operator's stand-in).
    Made without an audit event, so that the store holds exactly what the commands did."""
    from sqlalchemy import delete
    from sqlmodel import col, select

    from tenantctl.store.actor import Actor, resolve_actor
    from tenantctl.store.context import Ctx
    from tenantctl.store.enums import Role, TenantKind, UserStatus
    from tenantctl.store.errors import PermissionDenied
    from tenantctl.store.models import AuditEvent, Membership, Tenant, User
    from tenantctl.store.services import api_tokens
    from tenantctl.store.settings import load_settings

    if login is None:
        name = OPERATOR_TOKEN
    with store.transaction() as session:
        if login is None:
            login = session.exec(
                select(User.login).join(Membership, col(Membership.user_id) == User.id)
                .join(Tenant, col(Tenant.id) == Membership.tenant_id)
                .where(Tenant.kind == TenantKind.operator, Membership.role == Role.admin,
                       User.status != UserStatus.disabled).order_by(col(User.id))).first()
            if login is None:
                raise AssertionError("remote mode needs an admin of the operator tenant to stand for the operator")
        user = session.exec(select(User).where(User.login == login)).first() if "@" not in login else None
        user = user or session.exec(select(User).where(User.email_key == login.lower())).first()
        if user is None:  # an unknown --as: a token that authenticates nobody, like the login that acts as nobody
            return "tctl_0_" + "x" * 43
        try:  # a user who may not act (disabled, no active tenant) still holds a token that must fail
            actor = resolve_actor(session, user.login)
        except PermissionDenied:
            actor = Actor(label=user.login, user_id=user.id)
        ctx = Ctx(session, actor, load_settings())
        made = api_tokens.create(ctx, name=name)
        session.execute(delete(AuditEvent).where(col(AuditEvent.action) == "token.create",
                                                 col(AuditEvent.object_key) == f"{user.login}/{name}"))
        return str(made["token"])
