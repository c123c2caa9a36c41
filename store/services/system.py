"""Set-up and health: `init`, `db status`, `doctor`."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import Any

from sqlmodel import select

from store import migrate
from store.actor import operator_actor
from store.audit import record
from store.db import Store
from store.enums import Role, TenantKind, TenantStatus
from store.errors import Conflict, InvalidInput
from store.models import Membership, Tenant, User
from store.rules import clean_name, email_key, normalise_email, tenant_key_base
from store.services.tenants import operator_tenant
from store.services.users import check_email_free, find_user_row, unique_login
from store.settings import Settings


def initialise(store: Store, settings: Settings, *, operator_name: str = "Platform Operator",
               admin_email: str | None = None, admin_first_name: str | None = None,
               admin_last_name: str | None = None) -> dict[str, Any]:
    """Create or upgrade the schema, then make sure the operator tenant (and its first admin) exist.
    Running it again changes nothing."""
    operator_name = clean_name(operator_name, "operator name")
    admin = None
    if admin_email or admin_first_name or admin_last_name:
        if not (admin_email and admin_first_name and admin_last_name):
            raise InvalidInput("an operator admin needs e-mail, first and last name",
                               hint="give --admin-email, --admin-first-name and --admin-last-name together")
        admin = (normalise_email(admin_email), clean_name(admin_first_name, "first name"),
                 clean_name(admin_last_name, "last name"))
    before, after = migrate.upgrade(store)
    created: list[str] = []
    actor = operator_actor()
    with store.transaction() as session:
        op = operator_tenant(session)
        if op is None:
            op = Tenant(key=tenant_key_base(operator_name), name=operator_name, kind=TenantKind.operator,
                        status=TenantStatus.active, language=settings.default_language, created_by=actor.label)
            session.add(op)
            session.flush()
            record(session, actor, "tenant.create", "tenant", op.key, op.id, name=op.name, kind=op.kind)
            created.append(f"operator tenant {op.key}")
        admin_login = None
        if admin is not None:
            email, first, last = admin
            user = find_user_row(session, email)
            if user is None:
                check_email_free(session, email)
                user = User(login=unique_login(session, first, last), email=email, email_key=email_key(email),
                            first_name=first, last_name=last, language=op.language, created_by=actor.label)
                session.add(user)
                session.flush()
                record(session, actor, "user.create", "user", user.login, op.id, email=email, role=Role.admin)
                created.append(f"operator admin {user.login}")
            m = session.exec(select(Membership).where(Membership.user_id == user.id,
                                                      Membership.tenant_id == op.id)).first()
            if m is None:
                session.add(Membership(user_id=user.id, tenant_id=op.id, role=Role.admin,  # type: ignore[arg-type]
                                       created_by=actor.label))
                record(session, actor, "member.add", "membership", f"{user.login}@{op.key}", op.id, role="admin")
            elif m.role != Role.admin:
                raise Conflict(f"{user.login} is a {m.role} of the operator tenant, not an admin",
                               hint=f"tenantctl member add {user.login} --tenant {op.key} --role admin")
            admin_login = user.login
        return {"store": store.safe_url, "schema_before": sorted(before), "schema": sorted(after),
                "operator_tenant": op.key, "admin": admin_login, "created": created}


def schema_status(store: Store) -> dict[str, Any]:
    current = store.current_revisions()
    heads = migrate.head_revisions()
    state = ("missing" if not current else "current" if current == heads
             else "newer" if current - migrate.known_revisions() else "outdated")
    return {"store": store.safe_url, "current": sorted(current), "head": sorted(heads), "state": state}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("tenantctl", "typer", "rich", "sqlmodel", "sqlalchemy", "alembic", "psycopg"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def doctor(settings: Settings) -> dict[str, Any]:
    """Each check: name, ok, detail. Never raises for a failing check."""
    checks: list[dict[str, Any]] = []
    home = settings.home_path
    checks.append({"check": "home", "ok": home.exists(), "detail": str(home)})
    schema: dict[str, Any] | None = None
    try:
        store = Store(settings.database_url)
        schema = schema_status(store)
        checks.append({"check": "store reachable", "ok": True, "detail": store.safe_url})
        checks.append({"check": "schema", "ok": schema["state"] == "current",
                       "detail": f"{schema['state']} ({', '.join(schema['current']) or 'none'}; "
                                 f"head {', '.join(schema['head'])})"})
        store.dispose()
    except Exception as exc:  # report, never crash: doctor is what you run when things are broken
        message = getattr(exc, "message", str(exc))
        checks.append({"check": "store reachable", "ok": False, "detail": message})
    checks.append({"check": "executable", "ok": True, "detail": sys.executable})
    return {"ok": all(c["ok"] for c in checks), "checks": checks, "versions": versions()}
