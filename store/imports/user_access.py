"""A user row's access cell: the applications it grants, each known and booked for the row's tenant."""

from __future__ import annotations

from tenantctl.store.imports.checks import split_list
from tenantctl.store.imports.plan import RowPlan
from tenantctl.store.imports.snapshot import Snapshot
from tenantctl.store.imports.user_targets import Target


def plan_access(snap: Snapshot, p: RowPlan, h_tenant: str, h_access: str, target: Target | None,
                cell: str | None) -> set[int]:
    """The application ids the row grants; the tenant's own problems are said here too (they
    come before the access cell's)."""
    access: set[int] = set()
    if target is not None:
        for message in (*target.errors, *([target.unmanaged] if target.unmanaged else [])):
            p.error(h_tenant, message)
        for app_ref in split_list(cell) if cell else ():
            app = snap.app(app_ref)
            if app is None:
                p.error(h_access, f"unknown application {app_ref!r} (see tenantctl app list)")
            elif app.id not in target.booked:
                p.error(h_access, f"application {app.key!r} is not booked for this tenant")
            else:
                access.add(app.id)
    elif cell:
        for app_ref in split_list(cell):
            if snap.app(app_ref) is None:
                p.error(h_access, f"unknown application {app_ref!r} (see tenantctl app list)")
    return access
