"""Generate examples/migration.xlsx: the workbook of the migration demo (scenario S2). Two
resellers, several customers, about 50 users with German names (umlauts, ß), applications booked
per customer and access rights per user. Deterministic: running it again writes the same rows.

    python examples/make_migration_workbook.py [examples/migration.xlsx]
"""

from __future__ import annotations

import sys
from pathlib import Path

RESELLERS = [("nordlicht", "Nordlicht IT-Partner GmbH"), ("suedwind", "Südwind Systemhaus AG")]
CUSTOMERS = [  # name, reseller, customer number (text, leading zeros kept), currency, billing, language, apps
    ("Müller Maschinenbau GmbH", "nordlicht", "01001", "EUR", "customer", "de", "Lohnbuchhaltung, Zeiterfassung"),
    ("Bäckerei Weißgerber KG", "nordlicht", "01002", "EUR", "reseller", "de", "Zeiterfassung"),
    ("Schröder Logistik GmbH", "nordlicht", "01003", "EUR", "customer", "de", "Lohnbuchhaltung, Dokumente"),
    ("Gärtnerei Öztürk", "nordlicht", "01004", "EUR", "customer", "de", "Dokumente"),
    ("Zürcher Präzisionsteile AG", "suedwind", "S-2001", "CHF", "customer", "de", "Lohnbuchhaltung"),
    ("Löwen-Apotheke Jäger e.K.", "suedwind", "S-2002", "EUR", "customer", "de", "Zeiterfassung, Dokumente"),
    ("Straßenbau Kühn GmbH & Co. KG", "suedwind", "S-2003", "EUR", "reseller", "de", "Lohnbuchhaltung"),
    ("Hofmann Übersetzungen", "suedwind", "S-2004", "EUR", "customer", "en", "Dokumente"),
]
FIRST = ["Jürgen", "Änne", "Björn", "Sören", "Jörg", "Käthe", "Günther", "Lütfiye", "Maximilian", "Zoë",
         "Bärbel", "Özlem", "Ulrike", "Matthäus", "Fräncis", "Hans-Jürgen", "Grete", "Tobias", "Müge", "Ludwig",
         "Renée", "Søren", "Anneliese", "Dörte", "Ömer"]
LAST = ["Müller", "Weiß", "Schröder", "Öztürk", "Groß", "Kühn", "Jäger", "Hoffmann", "Bäcker", "Fuß",
        "Schäfer", "Köhler", "Krüger", "Böhm", "Günther", "Süß", "Löffler", "Wöhler", "Dürr", "Strauß",
        "Meißner", "Vogt", "Brückner", "Läufer", "Häberle"]
APPS_PER_ROLE = {"admin": 2, "member": 1, "billing": 0}


def rows() -> tuple[list[list[str | None]], list[list[str | None]]]:
    tenants: list[list[str | None]] = [[key, name, "reseller", None, None, None, None, "de", None]
                                       for key, name in RESELLERS]
    tenants += [[None, name, "customer", reseller, number, currency, billing, lang, apps]
                for name, reseller, number, currency, billing, lang, apps in CUSTOMERS]
    users: list[list[str | None]] = []
    n = 0
    for c, (name, _reseller, number, _cur, _bill, lang, apps) in enumerate(CUSTOMERS):
        domain = ["mueller-maschinenbau", "baeckerei-weissgerber", "schroeder-logistik", "gaertnerei-oeztuerk",
                  "zuercher-praezision", "loewen-apotheke", "strassenbau-kuehn", "hofmann-uebersetzungen"][c]
        booked = [a.strip() for a in apps.split(",")]
        for i in range(6):
            first, last = FIRST[n % len(FIRST)], LAST[(n * 7 + c) % len(LAST)]
            n += 1
            role = "admin" if i == 0 else ("billing" if i == 5 else "member")
            email = f"{first}.{last}@{domain}.example".lower()
            for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ë", "e"), ("é", "e"),
                         ("ø", "oe"), (" ", "")):
                email = email.replace(a, b)
            users.append([first, last, email, number if i % 2 == 0 else name, role, lang,
                          ", ".join(booked[:APPS_PER_ROLE[role]])])
    # the agency's person and the reseller admins
    users.append(["Rita", "Schröder", "rita@nordlicht.example", "nordlicht", "admin", "de", None])
    users.append(["Klaus", "Weißmüller", "klaus@suedwind.example", "suedwind", "admin", "de", None])
    return tenants, users


def main(target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    tenants, users = rows()
    wb = Workbook()
    ws0 = wb.active
    assert ws0 is not None
    wb.remove(ws0)
    for title, header, data in (
        ("Mandanten", ["Schlüssel", "Name", "Art", "Reseller", "Kundennummer", "Währung", "Abrechnung", "Sprache",
                       "Anwendungen"], tenants),
        ("Benutzer", ["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle", "Sprache", "Zugriffsrechte"], users),
    ):
        ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for r in data:
            ws.append(r)
        for col in ws.columns:  # identifiers as text cells
            for cell in col:
                cell.number_format = "@"
    wb.save(target)
    print(f"wrote {target}: {len(tenants)} tenants, {len(users)} users")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("migration.xlsx"))
