"""The store in the document format (`tenantctl export -o yaml|json`)."""

from __future__ import annotations

import json
from typing import Any

from tenantctl.importers.document.spec import TENANT_FIELDS


def document_of(tenant_rows: list[dict[str, Any]], user_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The export's rows (store/services/exports.collect, one per membership) as a document: users
    nested under their tenants, empty values left out."""
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for u in user_rows:
        entry = {k: u[k] for k in ("email", "first_name", "last_name", "language", "login", "role") if u.get(k)}
        if u.get("access"):
            entry["access"] = [a.strip() for a in u["access"].split(",") if a.strip()]
        by_tenant.setdefault(u["tenant"], []).append(entry)
    tenants = []
    for t in tenant_rows:
        entry = {k: t[k] for k in TENANT_FIELDS if k not in {"applications"} and t.get(k)}
        entry["applications"] = [a.strip() for a in (t.get("applications") or "").split(",") if a.strip()]
        entry["users"] = by_tenant.get(t["key"], [])
        tenants.append(entry)
    return {"version": 1, "tenants": tenants}


def dump(doc: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                         width=120))

