"""What planning produces: one RowPlan per row, with the typed payload the writer needs for it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from types import MappingProxyType
from typing import Any

from tenantctl.store.imports.rows import Problem

Progress = Callable[[str, int, int], None]


@dataclass
class Options:
    mode: str = "upsert"          # upsert | create
    skip_invalid: bool = False
    dry_run: bool = False
    reseller: str | None = None
    send_links: bool = False
    run_mode: str | None = None   # how the run is recorded when not by `mode`: "apply" (planned as upsert)

    @property
    def recorded_mode(self) -> str:
        return self.run_mode or self.mode


# -- payloads: what the writer needs per planned row --------------------------------------------------

@dataclass(slots=True)
class NewTenant:
    key: str | None
    name: str | None
    kind: str | None
    language: str
    external_id: str | None
    reseller_id: int | None       # a reseller in the store
    reseller_key: str | None      # … or one created by this file
    customer_number: str | None
    currency: str | None
    billing: str
    apps: list[int]


@dataclass(slots=True)
class TenantChange:
    id: int
    conn_id: int | None
    apps: list[int]               # bookings to add
    before: dict[str, Any]        # the tenant's name, language, external id
    conn_before: dict[str, Any] | None


class NewUser:
    """A new user's resolved values, in a tenth of a dict's memory (100,000 of them are held at once)."""

    __slots__ = ("access", "email", "email_key", "first_name", "language", "last_name", "login", "role", "tenant_id",
                 "tenant_row")

    def __init__(self, login: str | None, email: str | None, email_key: str | None, first_name: str | None,
                 last_name: str | None, language: str, tenant_id: int | None, tenant_row: int | None, role: str,
                 access: tuple[int, ...]) -> None:
        self.login, self.email, self.email_key, self.first_name, self.last_name = (login, email, email_key,
                                                                                   first_name, last_name)
        self.language, self.tenant_id, self.tenant_row, self.role, self.access = (language, tenant_id, tenant_row,
                                                                                  role, access)


@dataclass(slots=True)
class UserChange:
    """A stored user's row: changed names or language, a new membership, a new role, new access."""

    user_id: int
    login: str
    tenant_id: int | None         # the row's tenant in the store …
    tenant_row: int | None        # … or created by this file (its row)
    membership_id: int | None     # the existing membership in that tenant
    role: str
    old_role: str | None
    access: list[int]             # access rights to add
    before: dict[str, Any]        # first name, last name, language as stored
    first_name: str | None
    last_name: str | None
    language: str | None


@dataclass(slots=True)
class NewMembership:
    """A further membership of a user this file creates (one person in several companies)."""

    user_row: int                 # the row that creates the user
    login: str | None
    tenant_id: int | None
    tenant_row: int | None
    role: str
    access: tuple[int, ...]


Payload = NewTenant | TenantChange | NewUser | UserChange | NewMembership

EMPTY: Mapping[str, Any] = MappingProxyType({})


class Joins(Mapping[str, Any]):
    """What a new user's row changes, `{"tenant": [None, key], "role": [None, role]}`, read-only and
    shared by the rows of one tenant and role: two slots instead of a dict, two lists and a proxy
    (~350 bytes; 100,000 tenants in two roles held 73 MB at 1,000,000 rows). Equal to that dict."""

    __slots__ = ("_role", "_tenant")

    def __init__(self, tenant: str | None, role: str) -> None:
        self._tenant, self._role = tenant, role

    def __getitem__(self, name: str) -> list[str | None]:
        if name == "tenant":
            return [None, self._tenant]
        if name == "role":
            return [None, self._role]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(("tenant", "role"))

    def __len__(self) -> int:
        return 2


@dataclass(slots=True, init=False)
class RowPlan:
    sheet: str
    row: int
    kind: str                     # tenant | user
    key: str | None               # tenant key or user login (derived for new objects)
    label: str                    # name or e-mail
    action: str                   # create | update | unchanged | error
    changes: Mapping[str, Any]    # {field: [old, new]}
    errors: tuple[tuple[str | None, str], ...]  # (column header, message)
    values: Payload | None        # what the writer needs (None: nothing to write)
    target_id: int | None         # existing object

    def __init__(self, sheet: str, row: int, kind: str, key: str | None, label: str) -> None:
        # 100,000 rows are planned at once: the empty defaults are shared, read-only objects; the
        # planner assigns fresh dicts where there is something to say
        self.sheet, self.row, self.kind, self.key, self.label = sheet, row, kind, key, label
        self.action, self.changes, self.errors, self.values, self.target_id = "unchanged", EMPTY, (), None, None

    def error(self, column: str | None, message: str) -> None:
        self.errors = (*self.errors, (column, message))
        self.action = "error"

    def out(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "type": self.kind, "key": self.key, "label": self.label,
                "action": self.action, "changes": dict(self.changes),
                "errors": [{"column": c, "message": m} for c, m in self.errors]}


@dataclass
class Plan:
    tenants: list[RowPlan] = field(default_factory=list)
    users: list[RowPlan] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # how the rows were read and matched
    # how a message names another row: Source.row_ref ("row 7" in a sheet, "tenants[3]" in a document)
    ref: Callable[[str, int], str] = field(default=lambda sheet, row: f"row {row}")

    @property
    def rows(self) -> list[RowPlan]:
        return self.tenants + self.users

    def problems(self) -> list[dict[str, Any]]:
        out = [p.as_dict() for p in self.file_problems]
        for r in chain(self.tenants, self.users):
            if r.errors:
                out.extend({"sheet": r.sheet, "row": r.row, "column": c, "message": m} for c, m in r.errors)
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, rows in (("tenants", self.tenants), ("users", self.users)):
            c = Counter(r.action for r in rows)
            out.update({f"{kind}_{a}": c.get(a, 0) for a in ("create", "update", "unchanged", "error")})
        more = Counter(r.action for r in self.users if r.kind == "membership")
        for action, n in more.items():  # a person's further memberships are not more people
            out[f"users_{action}"] -= n
            out[f"memberships_{action}"] = n
        out["problems"] = len(self.file_problems) + sum(
            len(r.errors) for r in chain(self.tenants, self.users) if r.errors)
        return out

    @property
    def has_errors(self) -> bool:
        return bool(self.file_problems) or any(r.action == "error" for r in self.rows)
