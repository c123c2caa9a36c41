"""The import benchmark's baseline: parse with the fastest reader and insert the same tenants,
connections, users and memberships with plain sqlite3 executemany in one transaction. No checks.

    python bench/baseline.py sqlite:///PATH FILE.xlsx | TENANTS.csv USERS.csv
    python bench/baseline.py --flat sqlite:///PATH CONTACTS.xlsx | CONTACTS.csv

--flat: a flat contact list (Firma; Kundennummer; Vorname; Nachname; E-Mail; …), one company per
customer number, under the store's reseller `partner`.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from datetime import UTC, datetime


def read(paths: list[str]) -> tuple[list[list[object]], list[list[object]]]:
    if paths[0].endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(paths[0])
        return (wb.get_sheet_by_name("Mandanten").to_python()[1:], wb.get_sheet_by_name("Benutzer").to_python()[1:])
    out = []
    for p in paths:
        with open(p, encoding="utf-8", newline="") as fh:
            out.append(list(csv.reader(fh, delimiter=";"))[1:])
    return out[0], out[1]


def flat(path: str) -> tuple[list[list[object]], list[list[object]]]:
    """The flat list as the two-table rows main() inserts: a company per customer number."""
    if path.endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(path)
        rows = wb.get_sheet_by_index(0).to_python()[1:]
    else:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))[1:]
    tenants: dict[str, list[object]] = {}
    users = []
    for r in rows:
        number = str(r[1])
        tenants.setdefault(number, [None, r[0], "customer", "partner", number, "EUR", "customer"])
        users.append([r[2], r[3], r[4], number, "member"])
    return list(tenants.values()), users


def main() -> None:
    if sys.argv[1] == "--flat":
        url = sys.argv[2]
        tenants, users = flat(sys.argv[3])
    else:
        url, paths = sys.argv[1], sys.argv[2:]
        tenants, users = read(paths)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO tenant (key, name, kind, status, language, created_at, created_by) "
                   "VALUES (?, ?, ?, 'active', 'de', ?, 'bench')",
                   [(t[0] or f"t{i}", t[1], t[2], now) for i, t in enumerate(tenants)])
    ids = dict(db.execute("SELECT key, id FROM tenant").fetchall())
    by_number = {}
    conns = []
    for i, t in enumerate(tenants):
        if t[2] == "customer":
            tid = ids[t[0] or f"t{i}"]
            by_number[str(t[4])] = tid
            conns.append((ids[t[3]], tid, str(t[4]), t[5], t[6], now))
    db.executemany("INSERT INTO connection (reseller_id, customer_id, customer_number, currency, billing, state, "
                   "created_at, created_by) VALUES (?, ?, ?, ?, ?, 'active', ?, 'bench')", conns)
    db.executemany("INSERT INTO user_account (login, email, email_key, first_name, last_name, language, status, "
                   "credential_version, created_at, created_by) VALUES (?, ?, ?, ?, ?, 'de', 'invited', 0, ?, 'bench')",
                   [(f"u{i}", u[2], str(u[2]).lower(), u[0], u[1], now) for i, u in enumerate(users)])
    uids = dict(db.execute("SELECT email_key, id FROM user_account").fetchall())
    db.executemany("INSERT INTO membership (user_id, tenant_id, role, created_at, created_by) "
                   "VALUES (?, ?, ?, ?, 'bench')",
                   [(uids[str(u[2]).lower()], by_number[str(u[3])], u[4], now) for u in users])
    db.execute("COMMIT")


if __name__ == "__main__":
    main()
