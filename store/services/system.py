"""Set-up and health: `init`, `db status`, `doctor`."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import Any

from sqlmodel import select

from tenantctl.store import migrate
from tenantctl.store.actor import operator_actor, require_operator, resolve_actor
from tenantctl.store.actor_login import check_login_given
from tenantctl.store.context import Ctx
from tenantctl.store.db import Store
from tenantctl.store.enums import Role, TenantKind
from tenantctl.store.errors import Conflict, InvalidInput, PermissionDenied
from tenantctl.store.lookup import find_user_row, operator_tenant
from tenantctl.store.models import Membership
from tenantctl.store.rules import clean_name, normalise_email, tenant_key_base
from tenantctl.store.services import tenants, users
from tenantctl.store.settings import Settings


def check_operator_login(store: Store, login: str | None, what: str) -> None:
    """Set-up and health commands run for the operator only: a --as naming anyone else (or an
    unknown or disabled login, or an empty one) is refused before anything is touched."""
    check_login_given(login)
    if login is None:
        return
    if not store.current_revisions():
        raise PermissionDenied(f"cannot act as {login!r}: no such user (the store has no users yet)",
                               hint="run it without --as")
    with store.transaction(write=False) as session:
        require_operator(resolve_actor(session, login), what)


def initialise(store: Store, settings: Settings, *, operator_name: str = "Platform Operator",
               admin_email: str | None = None, admin_first_name: str | None = None,
               admin_last_name: str | None = None, login: str | None = None) -> dict[str, Any]:
    """Create or upgrade the schema, then make sure the operator tenant (and its first admin) exist.
    Running it again changes nothing. Only the operator runs it (login: the --as given, if any);
    an existing user is never made an operator admin here (that is `member add`, audited as such)."""
    check_operator_login(store, login, "init")
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
    with store.transaction() as session:
        actor = resolve_actor(session, login) if login is not None else operator_actor()
        ctx = Ctx(session, actor, settings)
        op = operator_tenant(session)
        if op is None:
            op = tenants.register(ctx, operator_name, TenantKind.operator, key=tenant_key_base(operator_name),
                                  language=settings.default_language)
            created.append(f"operator tenant {op.key}")
        admin_login = None
        if admin is not None:
            email, first, last = admin
            user = find_user_row(session, email)
            if user is None:
                user = users.add_user(ctx, op, first, last, email, role=Role.admin, language=op.language)
                created.append(f"operator admin {user.login}")
            else:
                m = session.exec(select(Membership).where(Membership.user_id == user.id,
                                                          Membership.tenant_id == op.id)).first()
                if m is None or m.role != Role.admin:
                    raise Conflict(f"{email} belongs to an existing user ({user.login}) who is not an admin of the "
                                   f"operator tenant; init does not promote existing users",
                                   hint=f"if that is intended: tenantctl member add {user.login} --tenant {op.key} "
                                        "--role admin")
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
    checks.append(base_url_check(settings))
    checks.extend(legal_pages_checks(settings))
    return {"ok": all(c["ok"] for c in checks), "checks": checks, "versions": versions()}


EXAMPLE_BASE_URL = "https://platform.example"


def base_url_check(settings: Settings) -> dict[str, Any]:
    """A warning (not a failure): links in mails point to base_url, which must be the public
    address of `tenantctl serve`; the example default reaches nobody."""
    url = str(settings.base_url).rstrip("/")
    if url == EXAMPLE_BASE_URL:
        return {"check": "base_url", "ok": True, "warning": True,
                "detail": f"{url} is the example default: links in mails lead nowhere; set base_url to the "
                          "public address of tenantctl serve"}
    return {"check": "base_url", "ok": True, "detail": url}


def legal_pages_checks(settings: Settings) -> list[dict[str, Any]]:
    """Warnings while imprint_url or privacy_url is unset: German law wants both linked from every
    page and every mail (the footers link them once they are set)."""
    checks: list[dict[str, Any]] = []
    for name, what in (("imprint_url", "imprint"), ("privacy_url", "privacy notice")):
        url = getattr(settings, name)
        if url:
            checks.append({"check": name, "ok": True, "detail": str(url)})
        else:
            checks.append({"check": name, "ok": True, "warning": True,
                           "detail": f"not set: the pages and mails link no {what}; set {name} to its address"})
    return checks
