"""The marked copy: one language (the file's, or --lang) for its column header and messages, and
the original workbook's formatting kept (bold header, frozen panes, drop-downs, column widths)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import USER_HEADER, write_csv, write_xlsx

# words of the engine's English messages that a German copy must not show
ENGLISH = (" the ", " is ", " not ", " must ", "unknown", "invalid", " already ", " only ", " needs ", " of ",
           "cell ", " has ", " with ", " also ", " may ", " row ", "empty", " and ", "letters", " from ")


def _copy_texts(path: Path, column_header: str) -> dict[tuple[str, int], str]:
    """(sheet, row) → the text in the copy's problems column."""
    from openpyxl import load_workbook

    out = {}
    for ws in load_workbook(path).worksheets:
        header = [c.value for c in ws[1]]
        if column_header not in header:
            continue
        col = header.index(column_header) + 1
        for row in range(2, ws.max_row + 1):
            value = ws.cell(row=row, column=col).value
            if value:
                out[(ws.title, row)] = value
    return out


def _filled_template(cli: Any, path: Path, tenants: list[list[Any]], users: list[list[Any]]) -> Path:
    """The template `import template` writes, its example rows replaced by these."""
    from openpyxl import load_workbook

    assert cli("import", "template", str(path)).exit_code == 0
    wb = load_workbook(path)
    for name, rows in (("Mandanten", tenants), ("Benutzer", users)):
        ws = wb[name]
        ws.delete_rows(2, 1)
        for i, row in enumerate(rows, start=2):
            for j, v in enumerate(row, start=1):
                ws.cell(row=i, column=j, value=v)
    wb.save(path)
    return path


def test_the_copy_keeps_the_templates_formatting(world: Any, cli: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = _filled_template(cli, tmp_path / "kunden.xlsx",
                            [[None, "Gut GmbH", "customer", "acme", "40001", "EUR", "customer", "de"]],
                            [["Gerd", "Gut", "kaputt", "40001", "member", "de"]])
    r = cli("import", "run", str(path))
    assert r.exit_code == 4, r.stderr
    original, copy = load_workbook(path), load_workbook(tmp_path / "kunden-fehler.xlsx")
    assert copy.sheetnames == original.sheetnames == ["Mandanten", "Benutzer", "Anleitung"]
    for name in ("Mandanten", "Benutzer"):
        before, after = original[name], copy[name]
        assert after.freeze_panes == before.freeze_panes == "A2"
        assert all(c.font.bold for c in after[1] if c.value)  # the header row, the added column too
        assert [(dv.formula1, str(dv.sqref)) for dv in after.data_validations.dataValidation] == [
            (dv.formula1, str(dv.sqref)) for dv in before.data_validations.dataValidation] != []
        for letter, dim in before.column_dimensions.items():
            assert after.column_dimensions[letter].width == dim.width
    users = copy["Benutzer"]
    header = [c.value for c in users[1]]
    col = header.index("Fehler") + 1
    assert col == len([h for h in [c.value for c in original["Benutzer"][1]] if h]) + 1
    assert users.cell(row=2, column=col).value == "E-Mail: ungültige E-Mail-Adresse 'kaputt': bitte korrigieren"
    assert users.cell(row=2, column=3).fill.fgColor.rgb == "FFFFC7CE"
    assert users.cell(row=2, column=1).fill.fgColor.rgb != "FFFFC7CE"
    assert users.cell(row=2, column=1).value == "Gerd"
    assert copy["Anleitung"]["B2"].value == original["Anleitung"]["B2"].value


def test_an_english_file_gets_an_english_copy_and_lang_overrides(world: Any, cli: Any, tmp_path: Path) -> None:
    """The copy's language decides its default name too: NAME-problems.xlsx in English,
    NAME-fehler.xlsx in German (the file's headers, or --lang)."""
    path = write_xlsx(tmp_path / "customers.xlsx", {"Users": [
        ["First name", "Last name", "Email", "Tenant", "Role"], ["Emma", "Clarke", "broken", "mueller", "boss"]]})
    r = cli("import", "run", str(path))
    assert r.exit_code == 4 and f"marked copy: {tmp_path / 'customers-problems.xlsx'}" in r.stderr
    texts = _copy_texts(tmp_path / "customers-problems.xlsx", "Problems")
    assert texts == {("Users", 2): "Email: invalid e-mail 'broken': An email address must have an @-sign.; "
                                   "Role: role 'boss' is not one of admin, member, billing"}
    assert not (tmp_path / "customers-fehler.xlsx").exists()
    assert cli("import", "run", str(path), "--lang", "de").exit_code == 4
    assert _copy_texts(tmp_path / "customers-fehler.xlsx", "Fehler") == {
        ("Users", 2): "Email: ungültige E-Mail-Adresse 'broken': bitte korrigieren; "
                      "Role: Rolle 'boss' ist keiner der Werte admin, member, billing"}
    german = write_xlsx(tmp_path / "kunden.xlsx",
                        {"Benutzer": [USER_HEADER, ["Emma", "Clarke", "broken", "mueller", ""]]})
    assert cli("import", "run", str(german), "--lang", "en").exit_code == 4
    assert _copy_texts(tmp_path / "kunden-problems.xlsx", "Problems") == {
        ("Benutzer", 2): "E-Mail: invalid e-mail 'broken': An email address must have an @-sign."}
    assert cli("import", "run", str(german)).exit_code == 4
    assert _copy_texts(tmp_path / "kunden-fehler.xlsx", "Fehler") == {
        ("Benutzer", 2): "E-Mail: ungültige E-Mail-Adresse 'broken': bitte korrigieren"}


def test_lang_must_be_de_or_en(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "a@b.example", "mueller", ""]])
    r = cli("import", "run", str(path), "--lang", "fr")
    assert r.exit_code == 2 and "--lang 'fr' is not de or en" in r.stderr and "Traceback" not in r.stderr


def test_a_german_copy_of_a_file_with_one_of_each_problem_has_no_english(world: Any, cli: Any, ok: Any,
                                                                          tmp_path: Path) -> None:
    from datetime import date

    ok("app", "create", "Lohnbuchhaltung")
    ok("app", "create", "Zeiterfassung")
    tenants = [
        ["Schlüssel", "Name", "Art", "Reseller", "Kundennummer", "Währung", "Sprache", "Abrechnung",
         "Anwendungen"],
        [None, "Kunde Eins GmbH", "chef", "acme", "60001", "EUR", "de", None, None],          # kind
        [None, "Kunde Zwei GmbH", "customer", "gibtsnicht", "60002", "EUR", "de", None, None],  # reseller unknown
        [None, "Kunde Drei GmbH", "customer", "mueller", "60003", "EUR", "de", None, None],     # not a reseller
        [None, "Kunde Vier GmbH", "customer", "acme", "60004", "XXX", "de", None, None],       # currency
        [None, "Kunde Fünf GmbH", "customer", "acme", "60005", "EUR", "fr", None, None],       # language
        [None, "Kunde Sechs GmbH", "customer", "acme", "60006", "EUR", "de", "niemand", None],  # billing
        [None, "Kunde Sieben GmbH", "customer", "acme", "60007", "EUR", "de", None, "Gibtsnicht-App"],  # app
        [None, "Kunde Neun GmbH", "customer", "beta", "60009", "EUR", "de", None, None],       # foreign reseller
        [None, "Neuer Reseller AG", "reseller", None, "60010", None, "de", None, None],        # reseller with number
        ["mueller", "Müller & Söhne GmbH", "customer", "acme", "10001", "CHF", "de", None, None],  # currency change
        [None, None, "customer", "acme", "60012", "EUR", "de", None, None],                   # name empty
        [None, "X" * 201, "customer", "acme", "60013", "EUR", "de", None, None],               # name too long
        [None, "Kunde Vierzehn GmbH", "customer", "acme", date(2024, 3, 1), "EUR", "de", None, None],  # a date
        [None, "Kunde Fünfzehn GmbH", "customer", "acme", "#N/A", "EUR", "de", None, None],    # Excel error
        [None, "Kunde Sechzehn GmbH", "customer", "acme", "=1+1", "EUR", "de", None, None],    # formula
        ["Summe", 15, None, None, None, None, None, None, None],                              # totals row
        [None, "Kunde Achtzehn GmbH", "customer", "acme", 60018.5, "EUR", "de", None, None],   # decimal
    ]
    users = [
        ["Vorname", "Nachname", "E-Mail", "Mandant", "Rolle", "Sprache", "Zugriffsrechte"],
        [None, "Leer", "leer@mueller.example", "mueller", None, None, None],                   # first name empty
        ["Ina", "Kaputt", "kaputt", "mueller", None, None, None],                              # invalid e-mail
        ["Jürgen", "Umlaut", "jürgen@mueller.example", "mueller", None, None, None],          # non-ASCII local part
        ["Doppelt", "Eins", "doppelt@mueller.example", "mueller", None, None, None],
        ["Doppelt", "Eins", "doppelt@mueller.example", "mueller", None, None, None],           # same e-mail, tenant
        ["Anders", "Zwei", "doppelt@mueller.example", "other", None, None, None],              # another name
        ["Uwe", "Unbekannt", "uwe@mueller.example", "Gibtsnicht GmbH", None, None, None],     # unknown tenant
        ["Fast", "Gleich", "fast@mueller.example", "Mueller und Soehne GmbH", None, None, None],  # near name
        ["Rolf", "Rolle", "rolf@mueller.example", "mueller", "chef", None, None],             # role
        ["Sara", "Sprache", "sara@mueller.example", "mueller", None, "fr", None],              # language
        ["Anna", "App", "anna@mueller.example", "mueller", None, None, "Gibtsnicht-App"],      # unknown app
        ["Bea", "Bucht", "bea@mueller.example", "mueller", None, None, "Zeiterfassung"],       # app not booked
        ["Tom", "Ohne", "tom@mueller.example", None, None, None, None],                        # tenant empty
        ["Kai", "Kind", "kai@eins.example", "Kunde Eins GmbH", None, None, None],             # its tenant has errors
        ["Otto", "Other", "otto@other.example", "mueller", None, None, None],                  # outside the scope
        ["Max", "Müller", "max@mueller.example", "mueller", "member", None, None],             # the last admin
    ]
    path = write_xlsx(tmp_path / "kunden.xlsx", {"Mandanten": tenants, "Benutzer": users})
    r = cli("import", "run", str(path), "--json", as_="rita.reseller")
    assert r.exit_code == 4, r.stderr
    problems = r.json()["error"]["details"]["problems"]
    from tenantctl.importers.report_text import translate

    untranslated = [p["message"] for p in problems if translate(p["message"], "de") == p["message"]]
    assert untranslated == []
    texts = _copy_texts(tmp_path / "kunden-fehler.xlsx", "Fehler")
    assert len(texts) >= 30, texts  # every bad row is marked
    english = {place: text for place, text in texts.items()
               if any(w in f" {text.lower()} " for w in ENGLISH)}
    assert english == {}
    # the distinct problems the file was built to hold, each German
    joined = "\n".join(texts.values())
    for german in ("Art 'chef' ist keiner der Werte", "Reseller 'gibtsnicht' steht weder in der Datei",
                   "'mueller' ist kein Reseller, sondern Kunde", "unbekannte Währung 'XXX'",
                   "Anwendung 'Gibtsnicht-App'", "die Währung ist auf EUR festgelegt",
                   "Mandantenname darf nicht leer sein", "ist 201 Zeichen lang", "enthält ein Datum",
                   "zeigt den Excel-Fehler #N/A", "enthält eine Formel ohne berechneten Wert",
                   "ist eine Summenzeile", "enthält die Dezimalzahl", "Vorname darf nicht leer sein",
                   "ungültige E-Mail-Adresse 'kaputt'", "hat vor dem @ Zeichen außerhalb von ASCII",
                   "steht auch in Zeile", "mit einem anderen Namen", "unbekannter Mandant 'Gibtsnicht GmbH'",
                   "der gespeicherte Mandant 'mueller' heißt", "Rolle 'chef'", "Sprache 'fr'",
                   "ist für diesen Mandanten nicht gebucht", "Mandant ist leer", "sein Mandant (Zeile 2) hat Fehler",
                   "außerhalb Ihrer Mandanten", "ist der letzte Admin",
                   "darf Kunden nur unter dem eigenen Reseller anlegen"):
        assert german in joined, (german, joined)


def test_a_csv_copy_keeps_the_delimiter_and_the_encoding(world: Any, cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "benutzer.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerows([USER_HEADER, ["Jürgen", "Weiß", "kaputt", "mueller", ""],
                     ["Zoë", "Schröder", "zoe@mueller.example", "mueller", ""]])
    report = tmp_path / "benutzer-markiert.csv"
    r = cli("import", "run", str(path), "--report", str(report))
    assert r.exit_code == 4 and f"marked copy: {report}" in r.stderr
    text = report.read_bytes().decode("cp1252")
    assert text.split("\r\n") == [
        "Vorname;Nachname;E-Mail;Mandant;Rolle;Fehler",
        "Jürgen;Weiß;kaputt;mueller;;E-Mail: ungültige E-Mail-Adresse 'kaputt': bitte korrigieren",
        "Zoë;Schröder;zoe@mueller.example;mueller;;", ""]
    # the default for a csv stays the highlighted workbook
    assert cli("import", "run", str(path)).exit_code == 4
    assert (tmp_path / "benutzer-fehler.xlsx").read_bytes()[:2] == b"PK"


@pytest.mark.usefixtures("cli_mode")
def test_the_copy_is_german_in_both_modes(world: Any, cli: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["A", "B", "kaputt", "mueller", "chef"]])
    assert cli("import", "run", str(path)).exit_code == 4
    assert _copy_texts(tmp_path / "u-fehler.xlsx", "Fehler") == {
        ("u.csv", 2): "E-Mail: ungültige E-Mail-Adresse 'kaputt': bitte korrigieren; "
                      "Rolle: Rolle 'chef' ist keiner der Werte admin, member, billing"}


@pytest.mark.parametrize("message", [
    # contact lists, csv cells, documents' rows: the problems the workbook above cannot hold at once
    "name 'Schulz': write it as 'Nachname, Vorname'",
    "name 'Schulz Anna' has no comma: the column holds 'Nachname, Vorname'",
    "name 'Schulz' is one word: first and last name are needed",
    "name 'Anna Maria Schulz' can be split more than one way (a double first or last name?): write it as …",
    "Firma 'Dachdeckerei Kohler GmbH' differs from row 2 ('Dachdeckerei Köhler GmbH') for customer number 000201: "
    "one company has one value",
    "Firma 'A GmbH' differs from row 2 ('B GmbH') for the same company: one company has one value",
    "no company: the company name and the customer number are empty",
    "a flat contact list of customers needs their reseller: add --reseller KEY, or a 'Reseller' column",
    "company 'Neu GmbH' is not created: none of its people can be imported (see their problems)",
    "company 'Kühn GmbH' is not stored, but tenant 'kuehn' is 'Kühn GmbH': write the company as stored …",
    "customer number 201 is shorter than the others: a lost leading zero? Format the column as text and type the "
    "number again",
    "customer number 20000 is a number cell, and the customer numbers it is compared with are zero-padded text "
    "(020001): lost leading zeros? Format the column as text and type the numbers again",
    "customer number 777 is not a stored customer of reseller 'acme': a new company needs its name (add a column "
    "Firma)",
    "customer number 777 is used at 2 resellers: name the reseller (--reseller KEY, or a column Reseller)",
    "tenant 'acme' already exists (--mode create)",
    "a user with e-mail max@mueller.example already exists (--mode create)",
    "tenant 'Müller' is ambiguous: it names 2 tenants; use the key",
    "the row has 5 cells, the header 4: a separator inside a cell that is not quoted? The row is shifted …",
    "cell has 40,000 characters; at most 32,767",
    "'11.960' has a thousands separator: the column was formatted as a number; format the column as text …",
    "'WAHR' is a yes/no value, not an identifier; format the column as text …",
    "'MÃ¼ller' has broken characters: UTF-8 read as Windows-1252 ('Müller'?); the file is UTF-8: import again …",
    "'Sšhne' has broken characters: Mac Roman read as Windows-1252 ('Söhne'?); the file is Mac Roman: …",
    "'?ukasz' has broken characters: a letter was replaced by '?' when the file was saved in an encoding without "
    "it; the letter is lost in this file: …",
    "last name 'M?ller' would replace the stored 'Müller', but it looks damaged (a lost letter); read the file …",
    "the same tenant as row 3",
    "e-mail max@mueller.example also in row 2",
    "rita.reseller may not change user 'max.mueller': the user also belongs to tenants outside your scope",
    "max.mueller also belongs to tenants outside your scope: adding them needs their consent; send a member …",
    "last name 'Мüller' mixes Cyrillic and Latin letters in 'Мüller': it may imitate another name; check it was "
    "meant",
])
def test_the_catalogue_words_every_problem_in_german(message: str) -> None:
    from tenantctl.importers.report_text import translate

    german = translate(message, "de")
    assert german != message and not any(w in f" {german.lower()} " for w in ENGLISH), german
    assert translate(message, "en") == message


def test_a_large_workbook_is_streamed_with_a_bold_frozen_header(world: Any, cli: Any, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    monkeypatch.setattr("tenantctl.importers.marked.FULL_COPY_MAX", 0)  # every workbook counts as large
    path = _filled_template(cli, tmp_path / "kunden.xlsx",
                            [[None, "Gut GmbH", "customer", "acme", "40001", "EUR", "customer", "de"]],
                            [["Gerd", "Gut", "kaputt", "40001", "chef", "de"]])
    assert cli("import", "run", str(path)).exit_code == 4
    ws = load_workbook(tmp_path / "kunden-fehler.xlsx")["Benutzer"]
    assert ws.freeze_panes == "A2" and all(c.font.bold for c in ws[1] if c.value)
    header = [c.value for c in ws[1]]
    assert header[-1] == "Fehler"
    assert ws.cell(row=2, column=len(header)).value == (
        "E-Mail: ungültige E-Mail-Adresse 'kaputt': bitte korrigieren; "
        "Rolle: Rolle 'chef' ist keiner der Werte admin, member, billing")
    assert ws.cell(row=2, column=3).fill.fgColor.rgb == "FFFFC7CE"
