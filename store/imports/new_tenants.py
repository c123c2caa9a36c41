"""The fast lane of the tenant rows: a row of a tenants table (not a people file's companies) that
can only become a new tenant (no key given, every cell's rule passed for its distinct value, its
reseller found, no stored tenant of its customer number or a name near its, no lost zeros,
nothing the actor may not create) is found by the rules' results per distinct value and planned
without the row-by-row call chain; its key comes with the other keys of its base, handed out at
once (checks.Handles.settle). Every other row keeps the row-by-row path; both lanes run in row
order, so a duplicate within the file is found as before and every key is the one `plan_new_tenant`
gives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container
from typing import Any

from tenantctl.store import rules
from tenantctl.store.enums import Billing, TenantKind
from tenantctl.store.imports.checks import split_list
from tenantctl.store.imports.plan import NewTenant, RowPlan
from tenantctl.store.imports.tenant_file import FileTenant, TenantFile
from tenantctl.store.imports.tenant_new import near_names

_CHECKED = ("name", "language", "billing", "currency", "customer_number", "external_id")
_NO = object()  # a cell whose rule refused it, or a look-up with any doubt
# (name, kind, reseller id, reseller key, number, currency, billing, language, external id, applications)
Ready = tuple[str, str, int | None, str | None, str | None, str | None, str | None, str | None, str | None,
              tuple[int, ...]]


class NewTenants:
    """Which rows can only become new tenants (`ready`, by position), and their plans in their turn."""

    def __init__(self, f: TenantFile, skip: Container[int]) -> None:
        """skip: positions planned otherwise (the rows equal to the store)."""
        self.f = f
        c = f.cells
        self.ok = {field: f.rules.valid(field, list(set(c.column(field)))) for field in _CHECKED}
        self.resellers: dict[tuple[Any, Any, bool], tuple[str, int | None, str | None] | None] = {}
        self.apps: dict[Any, Any] = {}
        self.names: dict[str, bool] = {}  # name → whether it is near a stored tenant's
        self.ready = self._ready(skip)
        self.bases: list[str | None] = []  # by position: the key base a row may ask for
        self.keys = self._settled(skip)

    def plan(self, i: int, rownum: int, label: str) -> FileTenant:
        """Row i planned as the row-by-row lane plans it: a new tenant, or a repeat of an earlier
        row's customer number or name (the only problem such a row can have, found in its turn)."""
        f, ready = self.f, self.ready[i]
        assert ready is not None
        name, kind, reseller_id, reseller_key, number, currency, billing, language, external_id, apps = ready
        p = RowPlan(f.table.sheet, rownum, "tenant", None, label)
        f.plan.tenants.append(p)
        if number:
            if reseller_key and (first := f.seen_numbers.setdefault((reseller_key, number), rownum)) != rownum:
                p.error(f.h("customer_number"), f"customer number {number} also in {f.plan.ref(f.table.sheet, first)}")
        elif (first := f.seen_names.setdefault((reseller_key, name.casefold()), rownum)) != rownum:
            p.error(f.h("name"), f"the same tenant as {f.plan.ref(f.table.sheet, first)}")
        p.key = key = self.keys[i] or f.key_handles.allocate(self.bases[i])  # type: ignore[arg-type]
        f.taken_keys.add(key)
        if p.action != "error":
            p.action = "create"
            p.changes = {"name": [None, name], "kind": [None, kind]}
            for field, value in (("reseller", reseller_key), ("customer_number", number), ("currency", currency)):
                if value:
                    p.changes[field] = [None, value]
        p.values = NewTenant(key, name, kind, language or f.ctx.settings.default_language, external_id, reseller_id,
                             reseller_key, number, currency, billing or Billing.customer, sorted(apps))
        return FileTenant(p, key, name, kind, reseller_id, reseller_key, number, set(apps), None)

    def _ready(self, skip: Container[int]) -> list[Ready | None]:
        f, c, ok = self.f, self.f.cells, self.ok
        names, languages, billings, currencies, numbers, external_ids = (ok[field] for field in _CHECKED)
        snap, lost, number_cells = f.snap, f.lost, f.table.numbers
        operator, own = f.ctx.actor.is_operator, f.ctx.actor.reseller_ids
        out: list[Ready | None] = []
        for i, (rownum, key, name_cell, kind_cell, ref_cell, number_cell, currency_cell, billing_cell,
                language_cell, external_cell, apps_cell) in enumerate(zip(
                    c.rownums, *(c.column(n) for n in ("key", "name", "kind", "reseller", "customer_number",
                                                       "currency", "billing", "language", "external_id",
                                                       "applications")), strict=True)):
            name, number = names.get(name_cell, _NO), numbers.get(number_cell, _NO)
            currency, billing = currencies.get(currency_cell, _NO), billings.get(billing_cell, _NO)
            language, external_id = languages.get(language_cell, _NO), external_ids.get(external_cell, _NO)
            if (i in skip or (key and key.strip()) or _NO in (name, number, currency, billing, language, external_id)
                    or not name):
                out.append(None)
                continue
            extras = bool(number or currency or billing)
            reseller: Any = self.resellers.get((kind_cell, ref_cell, extras), _NO)
            if reseller is _NO:
                reseller = self.resellers[(kind_cell, ref_cell, extras)] = self._reseller(kind_cell, ref_cell, extras)
            apps = self.apps.get(apps_cell, _NO)
            if apps is _NO:
                apps = self.apps[apps_cell] = self._apps(apps_cell)
            if reseller is None or apps is None:
                out.append(None)
                continue
            kind, reseller_id, reseller_key = reseller
            # a stored customer's number (or it with its zeros lost), the file's lost zeros; a stored
            # tenant of the same name (NFC, case folded) has the same loose name: near() finds it when
            # the actor sees it, and one it does not see leaves the row a new tenant row by row too
            doubt = bool(number) and ((reseller_id is not None and (
                (reseller_id, number) in snap.conn_by_number or snap.unpadded_match(reseller_id, number) is not None))
                or rownum in lost or (rownum, "customer_number") in number_cells)
            if doubt or self._near(name) or not (operator or (kind == TenantKind.customer and reseller_id in own)):
                out.append(None)
                continue
            out.append((name, kind, reseller_id, reseller_key, number, currency, billing, language, external_id,
                        apps))
        return out

    def _reseller(self, kind_cell: Any, ref_cell: Any, extras: bool) -> tuple[str, int | None, str | None] | None:
        """tenant_cells' kind and reseller of these cells, or None where it says a problem."""
        f, snap = self.f, self.f.snap
        kind = (kind_cell or "").strip().lower() or None
        ref = (ref_cell or "").strip().lower() or None
        if kind is None:
            if not (ref or f.reseller_default):
                return None
            kind = TenantKind.customer
        if kind == TenantKind.reseller:
            return None if ref or extras else (kind, None, None)
        if kind != TenantKind.customer:
            return None
        reseller_key = ref or f.reseller_default
        if reseller_key is None:
            return (kind, None, None) if f.ctx.actor.is_operator and not extras else None
        r = snap.by_key.get(reseller_key)
        if r is not None and snap.is_visible(r.id):  # (a row naming its own key is no fast row)
            return (kind, r.id, reseller_key) if r.kind == TenantKind.reseller else None
        return (kind, None, reseller_key) if reseller_key in f.file_resellers else None

    def _apps(self, cell: Any) -> tuple[int, ...] | None:
        ids: dict[int, None] = {}  # each once: `CRM, crm`
        for ref in split_list(cell):
            if (app := self.f.snap.app(ref)) is None:
                return None
            ids[app.id] = None
        return tuple(ids)

    def _near(self, name: str) -> bool:
        """A stored tenant the actor sees has a name near this one (no look-up when it sees none)."""
        hit = self.names.get(name)
        if hit is None:
            near = near_names(self.f)
            hit = self.names[name] = bool(near.by_loose) and near.find(name) is not None
        return hit

    def _settled(self, skip: Container[int]) -> list[str | None]:
        """By position: the key of a ready row whose base only ready rows ask for, handed out for the
        whole base at once; None where the row asks Handles.allocate in its turn. Every row that may
        derive a key (no key given, a valid name) is counted."""
        names, ready, bases = self.ok["name"], self.ready, self.bases
        memo: dict[str, str] = {}  # per distinct name
        for i, (key, cell) in enumerate(zip(self.f.cells.column("key"), self.f.cells.column("name"), strict=True)):
            name = names.get(cell)
            if i in skip or (key and key.strip()) or not name:
                bases.append(None)
            else:
                bases.append(memo.get(name) or memo.setdefault(name, rules.tenant_key_base(name)))
        others = {b for b, r in zip(bases, ready, strict=True) if r is None and b is not None}
        wanted = Counter(b for b, r in zip(bases, ready, strict=True) if r is not None)
        ones, series = self.f.key_handles.settle(wanted, others, len(bases))  # type: ignore[arg-type]
        handed = {b: iter(keys).__next__ for b, keys in series.items()}
        return [None if r is None else b if b in ones else handed[b]() if b in handed else None
                for b, r in zip(bases, ready, strict=True)]
