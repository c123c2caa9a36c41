"""Generate examples/crm-kontakte.xlsx: a CRM's contact export as support teams receive it (issue 10,
class 1): one sheet, one row per person, the company repeated on each row, columns the import does
not need (Telefon, Straße, PLZ, Ort), one company cell merged over its contacts, and one tax
adviser who looks after two companies. Deterministic: running it again writes the same rows.

    python examples/make_flat_export.py [examples/crm-kontakte.xlsx]
"""

from __future__ import annotations

import sys
from pathlib import Path

HEADER = ["Firma", "Kundennummer", "Vorname", "Nachname", "E-Mail", "Telefon", "Straße", "PLZ", "Ort"]
COMPANIES = [  # name, customer number (text: leading zeros), domain, street, PLZ, Ort
    ("Elektro Krüger GmbH", "004711", "elektro-krueger", "Hauptstraße 12", "10115", "Berlin"),
    ("Bäckerei Weißhaupt KG", "004712", "baeckerei-weisshaupt", "Marktplatz 3", "80331", "München"),
    ("Dachdeckerei Köhler GmbH & Co. KG", "004713", "koehler-dach", "Am Gleis 7", "50667", "Köln"),
    ("Zahnarztpraxis Dr. Öztürk", "004714", "praxis-oeztuerk", "Schillerstraße 21", "20095", "Hamburg"),
    ("Sanitär Groß e.K.", "004715", "sanitaer-gross", "Gartenweg 2", "04109", "Leipzig"),
    ("Steuerberatung Fuchs & Lange", "004716", "fuchs-lange", "Bahnhofstraße 40", "01067", "Dresden"),
]
PEOPLE = [  # company index, first name, last name
    (0, "Bärbel", "Krüger"), (0, "Mehmet", "Yılmaz"), (0, "Grete", "Fuchs"),
    (1, "Jürgen", "Weißhaupt"), (1, "Sophie", "Becker"),
    (2, "Jörg", "Köhler"), (2, "Katrin", "Köhler"), (2, "Lukas", "Wagner"),
    (3, "Özlem", "Öztürk"), (3, "Thomas", "Hoffmann"),
    (4, "Uwe", "Groß"), (4, "Łukasz", "Nowak"),
    (5, "Heike", "Lange"), (5, "Zoë", "Fuchs"),
]
# the tax adviser also looks after two of the companies: one person, several memberships
ADVISER = ("Heike", "Lange", "heike.lange@fuchs-lange.example")


def ascii_mail(text: str) -> str:
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ł", "l"), ("ı", "i"), ("ë", "e")):
        text = text.replace(a, b)
    return text


def rows() -> list[list[str | None]]:
    out: list[list[str | None]] = []
    for n, (c, first, last) in enumerate(PEOPLE):
        name, number, domain, street, plz, city = COMPANIES[c]
        email = (ADVISER[2] if (first, last) == ADVISER[:2]
                 else f"{ascii_mail(first.lower())}.{ascii_mail(last.lower())}@{domain}.example")
        out.append([name, number, first, last, email, f"+49 30 {5550100 + n}", street, plz, city])
    for c in (1, 4):
        name, number, _domain, street, plz, city = COMPANIES[c]
        out.append([name, number, *ADVISER, "+49 351 4477100", street, plz, city])
    return out


def write(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Kontakte"
    ws.append(HEADER)
    data = rows()
    for i, r in enumerate(data):
        # Elektro Krüger's name and number as a merged cell over its three contacts (Excel keeps
        # the value in the first cell only; the import fills it down and says so)
        ws.append(r if i == 0 or r[0] != COMPANIES[0][0] else [None, None, *r[2:]])
    ws.merge_cells("A2:A4")
    ws.merge_cells("B2:B4")
    wb.save(path)


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("crm-kontakte.xlsx"))
