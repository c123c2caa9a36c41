"""Free text is safe on a terminal: control and bidi characters refused on input (the option or
column named), escaped on output in every table and status line."""

from __future__ import annotations

from typing import Any

import pytest

from tenantctl.store import rules
from tenantctl.store.errors import InvalidInput
from tests.imports.conftest import TENANT_HEADER, write_csv, write_xlsx

HYPERLINK = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
HOSTILE = ["\x1b[31m", "\x00", "\r", "\x7f", "\x9b", "\x85", "\u202a", "\u202e", "\u2066", "\u2069"]


@pytest.mark.parametrize("bad", HOSTILE)
def test_rule_refuses_each_control_and_bidi_character(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rules.clean_external_id(f"ab{bad}cd")
    assert err.value.message.startswith("external id contains the control character U+")


def test_rule_keeps_plain_text_and_lets_messages_have_lines() -> None:
    assert rules.clean_external_id("  SAP-4711 / Zoë  ") == "SAP-4711 / Zoë"
    assert rules.clean_message("Hallo,\r\nbitte\tprüfen") == "Hallo,\nbitte\tprüfen"
    with pytest.raises(InvalidInput, match="customer number contains the control character U\\+000A"):
        rules.clean_customer_number("10\n01")


def test_escape_controls_makes_them_visible() -> None:
    assert rules.escape_controls(HYPERLINK) == "\\x1b]8;;https://evil.example/\\x1b\\click me\\x1b]8;;\\x1b\\"
    assert rules.escape_controls("a\u202eb\x9bc\nd") == "a\\u202eb\\x9bc\nd"


def test_cli_refuses_control_characters_naming_the_option(world: Any, cli: Any) -> None:
    r = cli("tenant", "create", "Evil GmbH", "--kind", "customer", "--reseller", "acme",
            "--external-id", HYPERLINK, "--json")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "external id contains the control character U+001B"
    r = cli("tenant", "update", "mueller", "--customer-number", "10\u202e01", "--json")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "customer number contains the control character U+202E"
    r = cli("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Neu GmbH",
            "--message", "Hallo\x1b[2J", "--json")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "message contains the control character U+001B"
    r = cli("tenant", "show", "evil-gmbh", "--json")
    assert r.exit_code == 8  # nothing written


def test_connection_messages_and_reasons_refused(world: Any, cli: Any, ok: Any, store: Any) -> None:
    from sqlalchemy import update

    from tenantctl.store.models import Connection, Tenant

    [conn] = ok("connection", "list", "--tenant", "mueller")
    with store.transaction() as s:  # a connection waiting for the reseller, a registration for the operator
        s.execute(update(Connection).where(Connection.id == conn["id"]).values(state="requested"))
        s.execute(update(Tenant).where(Tenant.key == "mueller").values(status="pending_approval"))
    for verb, option, field in (("request-info", "--message", "the question"), ("reject", "--reason", "reason")):
        r = cli("connection", verb, str(conn["id"]), option, "bitte \u2066prüfen\u2069", "--json")
        assert r.exit_code == 4, r.stdout
        assert r.json()["error"]["message"] == f"{field} contains the control character U+2066"
    r = cli("tenant", "reject", "mueller", "--reason", "nein\x9b", "--json")
    assert r.exit_code == 4 and r.json()["error"]["message"] == "reason contains the control character U+009B"
    assert ok("connection", "show", str(conn["id"]))["state"] == "requested"


def test_import_names_the_column(world: Any, cli: Any, tmp_path: Any) -> None:
    header = [*TENANT_HEADER, "Externe ID"]
    xlsx = write_xlsx(tmp_path / "k.xlsx", {"Mandanten": [
        header, [None, "Bäckerei Weiß KG", "customer", "acme", "2000\u202e1", "EUR", "de", "SAP\u2066-1"]]})
    csv = write_csv(tmp_path / "k.csv", [header, [None, "Bäckerei Weiß KG", "customer", "acme", "2000\x9b1", "EUR",
                                                   "de", HYPERLINK]])
    for path, number_char, id_char in ((xlsx, "U+202E", "U+2066"), (csv, "U+009B", "U+001B")):
        r = cli("import", "run", str(path), "--json")
        assert r.exit_code == 4
        problems = {(p["column"], p["message"]) for p in r.json()["error"]["details"]["problems"]}
        assert problems == {("Kundennummer", f"customer number contains the control character {number_char}"),
                            ("Externe ID", f"external id contains the control character {id_char}")}


def test_csv_header_with_control_characters_refused_and_escaped(world: Any, cli: Any, tmp_path: Any) -> None:
    path = write_csv(tmp_path / "t.csv", [[*TENANT_HEADER, "Notiz\x1b]8;;x\x1b\\"],
                                          [None, "Bäckerei Weiß KG", "customer", "acme", "20001", "EUR", "de", "x"]])
    r = cli("import", "run", str(path))
    assert r.exit_code == 4
    assert "the header of column H" in r.stderr and "contains the control character U+001B" in r.stderr
    assert "\x1b" not in r.stderr


def _plant(store: Any, **values: Any) -> None:
    from sqlalchemy import update

    from tenantctl.store.models import Tenant

    with store.transaction() as s:
        s.execute(update(Tenant).where(Tenant.key == "mueller").values(**values))


def test_planted_hyperlink_prints_escaped_in_tenant_show_and_list(world: Any, cli: Any, store: Any) -> None:
    _plant(store, external_id=HYPERLINK, name="Müller \u202eHbmG")
    for args in (("tenant", "show", "mueller"), ("tenant", "list")):
        r = cli(*args)
        assert r.exit_code == 0
        assert "\x1b" not in r.stdout and "\u202e" not in r.stdout
        assert "\\x1b]8;;https://evil.example/" in r.stdout.replace("\n", "") or args[1] == "list"
        assert "\\u202eHbmG" in r.stdout
    js = cli("tenant", "show", "mueller", "--json")
    assert "\x1b" not in js.stdout and "\u202e" not in js.stdout and "\\u202e" in js.stdout
    assert js.data["external_id"] == HYPERLINK and js.data["name"] == "Müller \u202eHbmG"  # JSON keeps the data


def test_status_and_error_lines_are_escaped(world: Any, cli: Any, store: Any) -> None:
    r = cli("tenant", "show", "x\x1b]8;;http://evil\x1b\\")
    assert r.exit_code == 8 and "\x1b" not in r.stderr and "\\x1b]8;;http://evil" in r.stderr
    _plant(store, name="Müller\x1b[8m")  # hidden text
    r = cli("tenant", "suspend", "mueller", "--yes")
    assert r.exit_code == 0 and "\x1b[8m" not in r.stderr + r.stdout
