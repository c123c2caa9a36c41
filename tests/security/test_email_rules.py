"""E-mail addresses: undeliverable ones refused at creation, mixed-script look-alikes warned about."""

from __future__ import annotations

from typing import Any

import pytest

from tenantctl.store import rules
from tenantctl.store.errors import InvalidInput

CYRILLIC_A = "\u0430"


@pytest.mark.parametrize("address", ["jürgen@mueller.example", "zoë@x.example", "андрей@x.example"])
def test_non_ascii_local_part_refused(address: str) -> None:
    with pytest.raises(InvalidInput) as err:
        rules.normalise_email(address)
    assert "non-ASCII characters before the @" in err.value.message
    assert err.value.hint == "use the mailbox's ASCII address"


def test_idn_domain_still_accepted() -> None:
    assert rules.normalise_email("juergen@MÜLLER.example") == "juergen@müller.example"


def test_mixed_script_warning_rule() -> None:
    assert rules.mixed_script_warning("max@p" + CYRILLIC_A + "ypal.example", "e-mail") == (
        "e-mail 'max@pаypal.example' mixes Cyrillic and Latin letters in 'pаypal': it may imitate another "
        "name; check it was meant")
    assert rules.mixed_script_warning("M" + CYRILLIC_A + "x", "first name") is not None
    assert rules.mixed_script_warning("Ολγα", "first name") is None  # all Greek
    assert rules.mixed_script_warning("Иван Smith", "name") is None  # two words, each one script
    assert rules.mixed_script_warning("Zoë Łukasiewicz", "name") is None
    assert rules.mixed_script_warning("max@müller.example", "e-mail") is None


def test_user_create_refuses_undeliverable_address(world: Any, cli: Any) -> None:
    r = cli("user", "create", "--tenant", "mueller", "--first-name", "Jürgen", "--last-name", "Weiß",
            "--email", "jürgen@mueller.example", "--json")
    assert r.exit_code == 4 and "non-ASCII characters before the @" in r.json()["error"]["message"]
    r = cli("user", "list", "--search", "weiß", "--json")
    assert r.data == []


def test_lookalikes_warn_on_stderr_and_in_json(world: Any, cli: Any) -> None:
    r = cli("user", "create", "--tenant", "mueller", "--first-name", "Ann" + CYRILLIC_A, "--last-name", "Weiss",
            "--email", "anna@mueller-s" + CYRILLIC_A + "ehne.example", "--json")
    assert r.exit_code == 0 and r.stderr == ""
    doc = r.json()
    assert doc["data"]["login"]  # created all the same
    assert doc["warnings"] == [
        "first name 'Annа' mixes Cyrillic and Latin letters in 'Annа': it may imitate another name; check it was meant",
        "e-mail 'anna@mueller-sаehne.example' mixes Cyrillic and Latin letters in 'sаehne': it may imitate "
        "another name; check it was meant"]
    r = cli("tenant", "create", "ACME Rese" + CYRILLIC_A + "ller", "--kind", "reseller")
    assert r.exit_code == 0
    assert "warning: tenant name 'ACME Reseаller' mixes Cyrillic and Latin letters" in r.stderr
    r = cli("user", "create", "--tenant", "mueller", "--first-name", "Paul", "--last-name", "Plain",
            "--email", "paul@mueller.example", "--json")
    assert "warnings" not in r.json()
