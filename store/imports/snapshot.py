"""What planning needs from the store, loaded set-based: a handful of queries, not one per row."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from sqlmodel import col

from tenantctl.store.actor import managed_tenant_ids, visible_tenant_ids
from tenantctl.store.context import Ctx
from tenantctl.store.enums import ConnectionState
from tenantctl.store.imports.checks import BULK_LOAD, chunks, select
from tenantctl.store.models import AccessRight, Application, Membership, User
from tenantctl.store.nfc import nfc


class UserRow(NamedTuple):
    id: int
    login: str
    email: str
    email_key: str
    first_name: str
    last_name: str
    language: str
    released_by_tenant_id: int | None  # who may bring back a person with no membership (store/actor.py)


class TenantRow(NamedTuple):
    id: int
    key: str
    name: str
    kind: str
    language: str
    external_id: str | None
    status: str


class ConnectionRow(NamedTuple):
    id: int
    reseller_id: int
    customer_id: int
    customer_number: str | None
    currency: str | None
    billing: str
    state: str


class Snapshot:
    """What the plan needs from the store, loaded set-based (a handful of queries, not one per row)."""

    def __init__(self, ctx: Ctx) -> None:
        s = ctx.session
        self.ctx = ctx
        self.visible = visible_tenant_ids(s, ctx.actor)
        self.managed = managed_tenant_ids(s, ctx.actor)
        s.flush()  # the tables are read through the driver (plain tuples, no Row objects), which does not flush
        intern = sys.intern  # kind, language, status, currency, billing, state: a few texts, 10,000 times each
        self.tenants: dict[int, Any] = {i: TenantRow(i, key, name, intern(kind), intern(lang), ext, intern(status))
                                        for i, key, name, kind, lang, ext, status in self._scan(
            'SELECT id, "key", name, kind, language, external_id, status FROM tenant')}
        self.by_key = {t.key: t for t in self.tenants.values()}
        self.conns: dict[int, list[Any]] = {}
        self.conn_by_number: dict[tuple[int, str], Any] = {}
        # zero-padded numbers by their digits without the zeros: Excel turns 010000 into 10000
        self.padded: dict[tuple[int, str], list[Any]] = {}
        rejected = ConnectionState.rejected
        for i, rid, cid, number, currency, billing, state in self._scan(
                "SELECT id, reseller_id, customer_id, customer_number, currency, billing, state FROM connection"):
            c = ConnectionRow(i, rid, cid, number, intern(currency) if currency else currency, intern(billing),
                              intern(state))
            if c.state == rejected:
                continue
            self.conns.setdefault(c.customer_id, []).append(c)
            if c.customer_number:
                self.conn_by_number[(c.reseller_id, c.customer_number)] = c
                if c.customer_number[0] == "0" and c.customer_number.isdigit():
                    self.padded.setdefault((c.reseller_id, c.customer_number.lstrip("0")), []).append(c)
        self.apps = {a.key: a for a in s.scalars(select(Application)).all()}
        self.apps_by_name = {a.name.casefold(): a for a in self.apps.values()}
        self.bookings: set[tuple[int, int]] = set(self._scan(
            "SELECT tenant_id, application_id FROM tenant_application"))
        self._logins: set[str] | None = None
        self._by_name: dict[str, list[Any]] | None = None
        self._by_number: dict[str, list[Any]] | None = None

    def by_name(self, name: str) -> list[Any]:
        """Stored tenants whose name equals `name` after NFC and case folding (indexed on first use:
        a name look-up per row, not a scan of every tenant per row)."""
        if self._by_name is None:
            self._by_name = {}
            for t in self.tenants.values():
                self._by_name.setdefault(nfc(t.name).casefold(), []).append(t)
        return self._by_name.get(nfc(name).casefold(), [])

    def by_number(self, number: str) -> list[Any]:
        """Stored connections with this customer number, at any reseller."""
        if self._by_number is None:
            self._by_number = {}
            for (_, n), c in self.conn_by_number.items():
                self._by_number.setdefault(n, []).append(c)
        return self._by_number.get(number, [])

    def unpadded_match(self, reseller_id: int, number: str) -> Any | None:
        """The one stored connection whose zero-padded number is `number` with its leading zeros lost."""
        if not number.isdigit():
            return None
        found = self.padded.get((reseller_id, number.lstrip("0")), [])
        return found[0] if len(found) == 1 and len(found[0].customer_number) > len(number) else None

    def padded_example(self, reseller_id: int) -> str | None:
        """A zero-padded customer number stored at this reseller, if it keeps any."""
        return next((c[0].customer_number for (rid, _), c in self.padded.items() if rid == reseller_id), None)

    def is_visible(self, tid: int) -> bool:
        return self.visible is None or tid in self.visible

    def is_managed(self, tid: int) -> bool:
        return self.managed is None or tid in self.managed

    def logins(self) -> set[str]:
        if self._logins is None:
            self._logins = {r[0] for r in self._scan("SELECT login FROM user_account")}
        return self._logins

    def app(self, ref: str) -> Any | None:
        return self.apps.get(ref.strip().lower()) or self.apps_by_name.get(ref.strip().casefold())

    def _scan(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """A whole-table read through the driver, in batches (plain tuples, no Row objects)."""
        cursor = self.ctx.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(10_000):
                yield from batch
        finally:
            cursor.close()

    def users_by_email(self, keys: list[str]) -> dict[str, Any]:
        """Existing users by e-mail key: IN-lists for a small file, one scan for a big one."""
        wanted = set(keys)
        if len(wanted) > BULK_LOAD:
            sql = "SELECT id, login, email, email_key, first_name, last_name, language, released_by_tenant_id " \
                  "FROM user_account"
            make = UserRow._make
            return {r[3]: make(r) for r in self._scan(sql) if r[3] in wanted}
        stmt = select(User.id, User.login, User.email, User.email_key, User.first_name, User.last_name,
                      User.language, User.released_by_tenant_id)
        conn = self.ctx.session.connection()
        out: dict[str, Any] = {}
        for chunk in chunks(sorted(wanted)):
            out.update((u.email_key, UserRow(*u)) for u in conn.execute(stmt.where(col(User.email_key).in_(chunk))))
        return out

    def memberships(self, user_ids: list[int]) -> dict[int, dict[int, tuple[int, str]]]:
        """{user id: {tenant id: (membership id, role)}}."""
        out: dict[int, dict[int, tuple[int, str]]] = {}
        wanted = set(user_ids)
        if len(wanted) > BULK_LOAD:
            rows: Iterable[Any] = (m for m in self._scan("SELECT id, user_id, tenant_id, role FROM membership")
                                   if m[1] in wanted)
        else:
            stmt = select(Membership.id, Membership.user_id, Membership.tenant_id, Membership.role)
            conn = self.ctx.session.connection()
            rows = (m for chunk in chunks(sorted(wanted)) for m in conn.execute(stmt.where(
                col(Membership.user_id).in_(chunk))))
        for mid, uid, tid, role in rows:
            out.setdefault(uid, {})[tid] = (mid, sys.intern(role))
        return out

    def rights(self, membership_ids: list[int]) -> set[tuple[int, int]]:
        out: set[tuple[int, int]] = set()
        for chunk in chunks(membership_ids):
            out.update((r.membership_id, r.application_id) for r in self.ctx.session.exec(select(
                AccessRight.membership_id, AccessRight.application_id).where(
                col(AccessRight.membership_id).in_(chunk))).all())
        return out

