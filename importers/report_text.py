"""The marked copy speaks the file's language: German headers (`Benutzer`, `E-Mail`) get German
messages under a `Fehler` column, English headers English ones under `Problems` (or `--lang`).

The engine words its problems in English (the CLI, the API and `import show` print them). For a
German copy each message is matched against this catalogue of the problems a tenants or users
sheet (or a contact list) can produce, and rewritten in German with the values it quotes; a
message the catalogue does not know stays English rather than being lost."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tenantctl.importers import columns

LANGUAGES = ("de", "en")
HEADER = {"de": "Fehler", "en": "Problems"}
# the marked copy's default name, NAME-fehler.xlsx or NAME-problems.xlsx: the word its readers use
COPY_SUFFIX = {"de": "fehler", "en": "problems"}

# words of a header row or sheet name that say which language the file is in ("Name", "Login",
# "Reseller" are both and say nothing)
_DE_WORDS = {columns.norm(w) for w in (
    "Mandanten", "Benutzer", "Kunden", "Firmen", "Personen", "Schlüssel", "Art", "Kundennummer", "Währung",
    "Abrechnung", "Sprache", "Externe ID", "Anwendungen", "Vorname", "Nachname", "E-Mail", "Mandant", "Rolle",
    "Zugriffsrechte", "Firma", "Firmenname", "Kunde", "Wiederverkäufer", "Händler", "Familienname",
    "E-Mail-Adresse", "Mailadresse", "Telefon", "Straße", "Ort", "Ansprechpartner", "Unternehmen", "Anrede")}
_EN_WORDS = {columns.norm(w) for w in (
    "Tenants", "Users", "Key", "Kind", "Type", "Customer number", "Currency", "Billing", "Language",
    "External ID", "Applications", "First name", "Last name", "Email", "Email address", "Tenant", "Role",
    "Access rights", "Company", "Customer", "Surname", "Given name", "Username", "Phone", "Contact")}


def file_language(tables: Iterable[Any], requested: str | None = None) -> str:
    """`--lang` if given, else the language most of the file's headers and sheet names are in;
    German when they say nothing (the template's language)."""
    if requested in LANGUAGES:
        return str(requested)
    de = en = 0
    for table in tables:
        for word in (table.sheet, *table.headers):
            key = columns.norm(word or "")
            de += key in _DE_WORDS
            en += key in _EN_WORDS
    return "en" if en > de else "de"


def translate(message: str, lang: str) -> str:
    """The message in `lang` (the engine's English unchanged for "en")."""
    if lang != "de":
        return message
    for pattern, german in _CATALOGUE:
        m = pattern.match(message)
        if m:
            return german.format(**{k: _de_value(k, v) for k, v in m.groupdict(default="").items()})
    return message


def problem_text(problem: dict[str, Any], lang: str) -> str:
    """One problem as the copy's column shows it: "column: message"."""
    column = problem.get("column")
    return (f"{column}: " if column else "") + translate(problem["message"], lang)


_FIELDS = {"first name": "Vorname", "last name": "Nachname", "name": "Name", "e-mail": "E-Mail", "role": "Rolle",
           "language": "Sprache", "billing": "Abrechnung", "kind": "Art", "currency": "Währung",
           "company name": "Firmenname", "tenant name": "Mandantenname", "external id": "Externe ID",
           "customer number": "Kundennummer", "tenant key": "Mandantenschlüssel", "login": "Login"}
_KINDS = {"customer": "Kunde", "reseller": "Reseller", "operator": "Betreiber"}


def _de_value(group: str, value: str) -> str:
    """Group names say what a value is: `field` (a field's name), `ref` (another row), `kind`."""
    if group.startswith("field"):
        return _FIELDS.get(value, value)
    if group.startswith("ref"):
        return re.sub(r"\brow (\d+)", r"Zeile \1", value)
    if group.startswith("kind"):
        return _KINDS.get(value, value)
    if group == "scripts":
        return value.replace(" and ", " und ")
    return value


_Q = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""  # a quoted value (Python's repr)
_FIX_DE = "Spalte als Text formatieren (Zellen formatieren > Text), die Werte neu eingeben und speichern"
_RAW: list[tuple[str, str]] = [
    # cell rules (store/rules.py, store/choices.py)
    (r"(?P<field>[\w -]+?) must not be empty$", "{field} darf nicht leer sein"),
    (r"(?P<field>[\w -]+?) is (?P<n>\d+) characters long, at most (?P<m>\d+) are allowed$",
     "{field} ist {n} Zeichen lang, höchstens {m} sind erlaubt"),
    (r"(?P<field>[\w -]+?) contains control characters$", "{field} enthält Steuerzeichen"),
    (r"(?P<field>[\w -]+?) contains the control character (?P<c>\S+)$", "{field} enthält das Steuerzeichen {c}"),
    (rf"(?P<field>[\w -]+?) (?P<v>{_Q}) is not one of (?P<opts>.+)$", "{field} {v} ist keiner der Werte {opts}"),
    (rf"(?P<field>[\w -]+?) (?P<v>{_Q}) mixes (?P<scripts>.+?) letters in (?P<w>{_Q}): it may imitate another "
     r"name; check it was meant$",
     "{field} {v} mischt Buchstaben verschiedener Schriften ({scripts}) in {w}: das kann einen anderen Namen "
     "nachahmen; bitte prüfen, ob es so gemeint ist"),
    (rf"tenant key (?P<k>{_Q}) is not valid$", "Mandantenschlüssel {k} ist ungültig"),
    (rf"tenant key (?P<k>{_Q}) is taken$", "Mandantenschlüssel {k} ist schon vergeben"),
    (rf"cannot derive a login from (?P<a>{_Q}) (?P<b>{_Q})$", "aus {a} {b} lässt sich kein Login ableiten"),
    (rf"the login (?P<l>{_Q}) is reserved$", "der Login {l} ist reserviert"),
    (rf"login (?P<l>{_Q}) is not valid$", "Login {l} ist ungültig"),
    (rf"e-mail (?P<e>{_Q}) has non-ASCII characters before the @.*$",
     "E-Mail-Adresse {e} hat vor dem @ Zeichen außerhalb von ASCII, die viele Mailserver nicht annehmen"),
    (rf"invalid e-mail (?P<e>{_Q}).*$", "ungültige E-Mail-Adresse {e}: bitte korrigieren"),
    (rf"unknown currency (?P<v>{_Q})$", "unbekannte Währung {v}: einen ISO-4217-Code wie EUR, CHF oder USD angeben"),
    (r"the currency is fixed at (?P<a>\S+) and cannot change to (?P<b>\S+)$",
     "die Währung ist auf {a} festgelegt und kann nicht zu {b} wechseln"),
    # tenants (store/imports/plan_tenants.py and its tenant_*.py)
    (r"kind is empty: customer or reseller$", "Art ist leer: customer oder reseller"),
    (r"a customer needs its reseller \(column Reseller, or --reseller KEY\)$",
     "ein Kunde braucht seinen Reseller (Spalte Reseller oder --reseller KEY)"),
    (r"a new company needs its reseller \(column Reseller, or --reseller KEY\)$",
     "eine neue Firma braucht ihren Reseller (Spalte Reseller oder --reseller KEY)"),
    (rf"(?P<k>{_Q}) is a (?P<kind>\w+), not a reseller$", "{k} ist kein Reseller, sondern {kind}"),
    (rf"reseller (?P<k>{_Q}) not found in the file or the store$",
     "Reseller {k} steht weder in der Datei noch im Bestand"),
    (r"only a customer has a reseller, customer number, currency and billing$",
     "nur ein Kunde hat Reseller, Kundennummer, Währung und Abrechnung"),
    (rf"unknown application (?P<a>{_Q}) \(see tenantctl app list\)$",
     "unbekannte Anwendung {a} (siehe tenantctl app list)"),
    (r"customer number (?P<n>\S+) is used at (?P<c>\d+) resellers: name the reseller .*$",
     "Kundennummer {n} gibt es bei {c} Resellern: den Reseller angeben (--reseller KEY oder Spalte Reseller)"),
    (rf"company (?P<n>{_Q}) is stored as tenant (?P<k>{_Q}) with customer number (?P<o>\S+), not (?P<x>\S+): "
     r"correct the number in the file$",
     "Firma {n} ist als Mandant {k} mit Kundennummer {o} gespeichert, nicht {x}: Nummer in der Datei korrigieren"),
    (r"customer number (?P<n>\S+) is shorter than the others: a lost leading zero\?.*$",
     "Kundennummer {n} ist kürzer als die anderen: eine verlorene führende Null? Spalte als Text formatieren und "
     "die Nummer neu eingeben"),
    (r"customer number (?P<n>\S+) is a number cell, and the customer numbers it is compared with are zero-padded "
     r"text \((?P<e>.*)\): lost leading zeros\?.*$",
     "Kundennummer {n} ist eine Zahlenzelle, die Kundennummern zum Vergleich sind Text mit führenden Nullen ({e}): "
     "verlorene führende Nullen? Spalte als Text formatieren und die Nummern neu eingeben"),
    (r"the same tenant as (?P<ref>.+)$", "derselbe Mandant wie {ref}"),
    (rf"customer number (?P<n>{_Q}) is already used at reseller (?P<r>{_Q})$",
     "Kundennummer {n} ist beim Reseller {r} schon vergeben"),
    (rf"customer number (?P<n>{_Q}) is already used at this reseller$",
     "Kundennummer {n} ist bei diesem Reseller schon vergeben"),
    (r"customer number (?P<n>.+?) also in (?P<ref>.+)$", "Kundennummer {n} steht auch in {ref}"),
    (rf"customer number (?P<n>\S+) is not a stored customer of reseller (?P<r>{_Q}): a new company needs "
     r"its name \(add a column Firma\)$",
     "Kundennummer {n} gehört zu keinem gespeicherten Kunden des Resellers {r}: eine neue Firma braucht ihren "
     "Namen (Spalte Firma ergänzen)"),
    (r"customer number (?P<n>\S+) is not a stored customer: a new company needs its name \(add a column Firma\)$",
     "Kundennummer {n} gehört zu keinem gespeicherten Kunden: eine neue Firma braucht ihren Namen (Spalte Firma "
     "ergänzen)"),
    (rf"tenant (?P<k>{_Q}) is a (?P<kind>\w+), not a (?P<kind2>\w+)$", "Mandant {k} ist {kind}, nicht {kind2}"),
    (rf"tenant (?P<k>{_Q}) already exists \(--mode create\)$", "Mandant {k} gibt es schon (--mode create)"),
    (rf"company (?P<n>{_Q}) is not stored, but tenant (?P<k>{_Q}) is (?P<t>{_Q}): .*$",
     "Firma {n} ist nicht gespeichert, aber Mandant {k} heißt {t}: die Firma so schreiben wie gespeichert (oder "
     "ihre Kundennummer), um die Personen dort anzulegen; eine zweite Firma zuerst mit tenantctl tenant create "
     "anlegen"),
    (rf"company (?P<n>{_Q}) is not created: none of its people can be imported \(see their problems\)$",
     "Firma {n} wird nicht angelegt: keine ihrer Personen kann importiert werden (siehe deren Fehler)"),
    (r"a flat contact list of customers needs their reseller: .*$",
     "eine Kontaktliste von Kunden braucht deren Reseller: --reseller KEY angeben oder eine Spalte 'Reseller'"),
    (rf"customer (?P<k>{_Q}) has no connection to reseller (?P<r>{_Q})$",
     "Kunde {k} hat keine Verbindung zum Reseller {r}"),
    (rf"customer (?P<k>{_Q}) has (?P<n>\d+) resellers: name one in the Reseller column$",
     "Kunde {k} hat {n} Reseller: einen in der Spalte Reseller angeben"),
    (r"(?P<a>.+) may not create a reseller$", "{a} darf keinen Reseller anlegen"),
    (r"(?P<a>.+) may create customers only under its own reseller$",
     "{a} darf Kunden nur unter dem eigenen Reseller anlegen"),
    (rf"(?P<a>.+) may not change tenant (?P<k>{_Q})$", "{a} darf Mandant {k} nicht ändern"),
    (rf"(?P<a>.+) may not add users to tenant (?P<k>{_Q})$", "{a} darf dem Mandanten {k} keine Benutzer hinzufügen"),
    # users (store/imports/plan_users.py)
    (r"tenant is empty$", "Mandant ist leer"),
    (rf"unknown tenant (?P<t>{_Q}): not in the file and not in the store; the stored tenant (?P<k>{_Q}) is "
     rf"(?P<n>{_Q}): write it as stored, or use its key$",
     "unbekannter Mandant {t}: weder in der Datei noch im Bestand; der gespeicherte Mandant {k} heißt {n}: so "
     "schreiben wie gespeichert oder seinen Schlüssel verwenden"),
    (rf"unknown tenant (?P<t>{_Q}): not in the file and not in the store$",
     "unbekannter Mandant {t}: weder in der Datei noch im Bestand"),
    (rf"tenant (?P<t>{_Q}) is ambiguous: it names (?P<n>\d+) tenants; use the key$",
     "Mandant {t} ist mehrdeutig: er passt zu {n} Mandanten; den Schlüssel verwenden"),
    (r"its tenant \((?P<ref>.+)\) has errors$", "sein Mandant ({ref}) hat Fehler"),
    (r"the same person \((?P<ref>.+)\) has errors$", "dieselbe Person ({ref}) hat Fehler"),
    (r"e-mail (?P<e>\S+) also in (?P<ref>.+?), with another name \((?P<n>.*)\)$",
     "E-Mail-Adresse {e} steht auch in {ref}, mit einem anderen Namen ({n})"),
    (r"e-mail (?P<e>\S+) also in (?P<ref>.+)$", "E-Mail-Adresse {e} steht auch in {ref}"),
    (rf"application (?P<a>{_Q}) is not booked for this tenant$",
     "Anwendung {a} ist für diesen Mandanten nicht gebucht"),
    (r"a user with e-mail (?P<e>\S+) already exists \(--mode create\)$",
     "einen Benutzer mit der E-Mail-Adresse {e} gibt es schon (--mode create)"),
    (r"a user with e-mail (?P<e>\S+) already exists outside your tenants; .*$",
     "einen Benutzer mit der E-Mail-Adresse {e} gibt es schon außerhalb Ihrer Mandanten; bitten Sie darum, ihn "
     "mit tenantctl member add hinzuzufügen"),
    (rf"(?P<a>.+) may not change user (?P<l>{_Q}): the user also belongs to tenants outside your scope$",
     "{a} darf Benutzer {l} nicht ändern: er gehört auch zu Mandanten außerhalb Ihres Bereichs"),
    (r"(?P<l>\S+) also belongs to tenants outside your scope: .*$",
     "{l} gehört auch zu Mandanten außerhalb Ihres Bereichs: ihn hinzuzufügen braucht seine Zustimmung; eine "
     "Mitglieds-Einladung senden (tenantctl invite create --kind member)"),
    (r"(?P<l>\S+) is the last admin of the tenant; first make another user admin$",
     "{l} ist der letzte Admin des Mandanten; zuerst einen anderen Benutzer zum Admin machen"),
    (rf"(?P<field>[\w -]+?) (?P<new>{_Q}) would replace the stored (?P<old>{_Q}), but it looks damaged "
     r"\((?P<why>.*)\); .*$",
     "{field} {new} würde das gespeicherte {old} ersetzen, sieht aber beschädigt aus ({why}); die Datei mit dem "
     "richtigen --encoding lesen oder als 'CSV UTF-8' / .xlsx speichern"),
    # contact lists (store/imports/flat.py)
    (rf"name (?P<v>{_Q}): write it as 'Nachname, Vorname'$", "Name {v}: als 'Nachname, Vorname' schreiben"),
    (rf"name (?P<v>{_Q}) has no comma: the column holds 'Nachname, Vorname'$",
     "Name {v} hat kein Komma: die Spalte enthält 'Nachname, Vorname'"),
    (rf"name (?P<v>{_Q}) is one word: first and last name are needed$",
     "Name {v} ist ein einziges Wort: Vor- und Nachname werden gebraucht"),
    (rf"name (?P<v>{_Q}) can be split more than one way .*$",
     "Name {v} lässt sich auf mehrere Arten teilen (ein doppelter Vor- oder Nachname?): Vorname und Nachname "
     "in getrennte Spalten schreiben"),
    (rf"(?P<h>.+?) (?P<v>{_Q}) differs from (?P<ref>row \d+) \((?P<w>{_Q})\) for customer number (?P<n>\S+): "
     r"one company has one value$",
     "{h} {v} weicht von {ref} ({w}) ab, bei Kundennummer {n}: eine Firma hat einen Wert"),
    (rf"(?P<h>.+?) (?P<v>{_Q}) differs from (?P<ref>row \d+) \((?P<w>{_Q})\) for the same company: one company "
     r"has one value$",
     "{h} {v} weicht von {ref} ({w}) derselben Firma ab: eine Firma hat einen Wert"),
    (r"no company: the company name and the customer number are empty$",
     "keine Firma: Firmenname und Kundennummer sind leer"),
    # cells as read (importers/read.py, importers/identifiers.py, importers/broken_text.py)
    (r"cell (?P<c>\S+) shows the Excel error (?P<v>\S+) instead of a value: .*$",
     "Zelle {c} zeigt den Excel-Fehler {v} statt eines Werts: die Formel (oder den Bezug, von dem sie abhängt) in "
     "Excel korrigieren oder den Wert eintippen, dann erneut speichern"),
    (r"cell (?P<c>\S+) holds a formula without a computed value; .*$",
     "Zelle {c} enthält eine Formel ohne berechneten Wert: die Datei in Excel öffnen und speichern oder die Werte "
     "einfügen"),
    (r"the row has (?P<n>\d+) cells, the header (?P<w>\d+): .*$",
     "die Zeile hat {n} Zellen, die Kopfzeile {w}: ein Trennzeichen in einer Zelle ohne Anführungszeichen? Die "
     "Zeile ist verschoben und ihre letzten Zellen gingen verloren; die Zelle in Anführungszeichen setzen oder "
     "die Zeile korrigieren"),
    (rf"(?P<l>{_Q}) is a totals row, not a (?:company|person): delete the row$",
     "{l} ist eine Summenzeile, keine Firma oder Person: die Zeile löschen"),
    (r"cell has (?P<n>[\d,.]+) characters; at most (?P<m>[\d,.]+)$", "die Zelle hat {n} Zeichen; höchstens {m}"),
    (r"holds (?P<v>TRUE|FALSE), a yes/no cell, not an identifier; .*$",
     "enthält {v}, eine Ja/Nein-Zelle, keinen Schlüssel; " + _FIX_DE),
    (r"holds the number (?P<v>\S+) with more than 15 digits: .*$",
     "enthält die Zahl {v} mit mehr als 15 Stellen: Excel behält 15, der Rest geht verloren; " + _FIX_DE),
    (r"holds the decimal number (?P<v>\S+), not an identifier; .*$",
     "enthält die Dezimalzahl {v}, keinen Schlüssel; " + _FIX_DE),
    (r"holds a date \((?P<v>.*)\): Excel turned the identifier into a date; .*$",
     "enthält ein Datum ({v}): Excel hat den Schlüssel in ein Datum verwandelt; " + _FIX_DE),
    (rf"(?P<v>{_Q}) has a thousands separator: .*$",
     "{v} hat ein Tausendertrennzeichen: die Spalte war als Zahl formatiert; " + _FIX_DE),
    (rf"(?P<v>{_Q}) is a number Excel shortened to 6 digits .*$",
     "{v} ist eine Zahl, die Excel auf 6 Stellen gekürzt hat (über 15 Stellen gehen ohnehin verloren); " + _FIX_DE),
    (rf"(?P<v>{_Q}) is a date: Excel turned the identifier into a date; .*$",
     "{v} ist ein Datum: Excel hat den Schlüssel in ein Datum verwandelt; " + _FIX_DE),
    (rf"(?P<v>{_Q}) is a decimal number, not an identifier; .*$",
     "{v} ist eine Dezimalzahl, kein Schlüssel; " + _FIX_DE),
    (rf"(?P<v>{_Q}) is a yes/no value, not an identifier; .*$",
     "{v} ist ein Ja/Nein-Wert, kein Schlüssel; " + _FIX_DE),
    (rf"(?P<v>{_Q}) has more than 15 digits ending in zeros: .*$",
     "{v} hat mehr als 15 Stellen und endet auf Nullen: Excel hat 15 behalten und den Rest auf 0 gesetzt; " + _FIX_DE),
    (rf"(?P<v>{_Q}) has broken characters: UTF-8 read as Windows-1252(?P<rep> \(.*\?\))?; .*$",
     "{v} enthält kaputte Zeichen: UTF-8 als Windows-1252 gelesen{rep}; mit --encoding utf-8 erneut importieren "
     "oder die Namen in der Datei korrigieren"),
    (rf"(?P<v>{_Q}) has broken characters: Mac Roman read as Windows-1252(?P<rep> \(.*\?\))?; .*$",
     "{v} enthält kaputte Zeichen: Mac Roman als Windows-1252 gelesen{rep}; mit --encoding mac_roman erneut "
     "importieren oder die Namen in der Datei korrigieren"),
    (rf"(?P<v>{_Q}) has broken characters: a letter was replaced by '\?' .*$",
     "{v} enthält kaputte Zeichen: ein Buchstabe wurde beim Speichern durch '?' ersetzt; die Datei aus Excel als "
     "'CSV UTF-8 (durch Trennzeichen getrennt)' speichern oder die .xlsx importieren, oder den Namen korrigieren"),
]
_CATALOGUE = [(re.compile(p, re.DOTALL), german) for p, german in _RAW]
