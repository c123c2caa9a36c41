"""A person's own time zone (`user create|update --time-zone`, POST/PATCH /api/v1/users), locally and
over HTTP: shown by `user show` and in the JSON, '' clears it, an unknown zone is refused with the
fix, the change is audited, and only who may update the user may set it."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("cli_mode")


def test_create_update_show_and_clear(world: Any, cli: Any, ok: Any, db_rows: Any) -> None:
    data = ok("user", "create", "--tenant", "mueller", "--first-name", "Emma", "--last-name", "Clarke",
              "--email", "emma@mueller.example", "--time-zone", "Europe/London", as_="max.mueller")
    assert data["login"] == "emma.clarke" and data["time_zone"] == "Europe/London"
    assert db_rows("SELECT time_zone FROM user_account WHERE login = 'emma.clarke'") == [("Europe/London",)]
    shown = ok("user", "show", "emma.clarke", as_="rita.reseller")
    assert shown["time_zone"] == "Europe/London"
    r = cli("user", "show", "emma.clarke")
    assert r.exit_code == 0 and "Europe/London" in r.stdout
    assert ok("user", "show", "mia.meier")["time_zone"] is None  # none of her own
    assert all("time_zone" in u for u in ok("user", "list", "--tenant", "mueller"))

    data = ok("user", "update", "emma.clarke", "--time-zone", "Europe/Dublin", as_="max.mueller")
    assert data["action"] == "updated" and data["changed"] == {"time_zone": ["Europe/London", "Europe/Dublin"]}
    assert ok("user", "update", "emma.clarke", "--time-zone", "Europe/Dublin")["action"] == "unchanged"
    data = ok("user", "update", "emma.clarke", "--time-zone", "", as_="rita.reseller")
    assert data["time_zone"] is None and data["changed"] == {"time_zone": ["Europe/Dublin", None]}
    assert db_rows("SELECT time_zone FROM user_account WHERE login = 'emma.clarke'") == [(None,)]

    audit = [(a, json.loads(d) if isinstance(d, str) else d) for a, d in db_rows(
        "SELECT action, details FROM audit_event WHERE object_key = 'emma.clarke' "
        "AND action IN ('user.create', 'user.update') ORDER BY id")]
    assert [a for a, _ in audit] == ["user.create", "user.update", "user.update"]
    assert audit[0][1]["time_zone"] == "Europe/London"
    assert [d["changed"] for _, d in audit[1:]] == [{"time_zone": ["Europe/London", "Europe/Dublin"]},
                                                     {"time_zone": ["Europe/Dublin", None]}]


def test_show_says_which_zone_applies_and_why(world: Any, cli: Any, ok: Any) -> None:
    """Her own zone, else her home tenant's, else the platform's setting: `user show` names the one the
    mails and pages use, and where it comes from."""
    shown = ok("user", "show", "mia.meier")
    assert (shown["time_zone"], shown["time_zone_in_use"], shown["time_zone_from"]) == (
        None, "Europe/Berlin", "platform setting time_zone")
    ok("tenant", "update", "mueller", "--time-zone", "Europe/Vienna")
    shown = ok("user", "show", "mia.meier")
    assert (shown["time_zone_in_use"], shown["time_zone_from"]) == ("Europe/Vienna", "tenant mueller")
    ok("user", "update", "mia.meier", "--time-zone", "Europe/London")
    shown = ok("user", "show", "mia.meier")
    assert (shown["time_zone_in_use"], shown["time_zone_from"]) == ("Europe/London", "user")
    r = cli("user", "show", "mia.meier")
    assert r.exit_code == 0 and "Europe/London" in r.stdout and "time_zone_from" in r.stdout


def test_a_home_tenant_the_viewer_cannot_see_is_not_named(world: Any, ok: Any) -> None:
    """Otto belongs to `other` (beta's customer) first and to `mueller` (acme's) too: acme's admin
    sees the zone his mails use, never the key of a tenant outside her scope."""
    ok("member", "add", "otto.other", "--tenant", "mueller")
    ok("tenant", "update", "other", "--time-zone", "Europe/Vienna")
    shown = ok("user", "show", "otto.other", as_="rita.reseller")
    assert (shown["time_zone_in_use"], shown["time_zone_from"]) == ("Europe/Vienna", "their home tenant")
    assert "other" not in [m["tenant"] for m in shown["memberships"]]
    shown = ok("user", "show", "otto.other")
    assert (shown["time_zone_in_use"], shown["time_zone_from"]) == ("Europe/Vienna", "tenant other")


def test_an_unknown_zone_is_refused_with_the_fix_and_nothing_is_written(world: Any, cli: Any, db_rows: Any) -> None:
    before = db_rows("SELECT login, time_zone, updated_at FROM user_account ORDER BY id")
    r = cli("user", "update", "mia.meier", "--time-zone", "Mitteleuropa", "--language", "en", as_="max.mueller")
    assert r.exit_code == 4, r.stderr
    assert "'Mitteleuropa' is not a known time zone" in r.stderr and "Europe/London" in r.stderr
    assert "Traceback" not in r.stderr
    r = cli("user", "create", "--tenant", "mueller", "--first-name", "Emma", "--last-name", "Clarke",
            "--email", "emma@mueller.example", "--time-zone", "GMT+1", "--json")
    assert r.exit_code == 4
    error = r.json()["error"]
    assert "'GMT+1' is not a known time zone" in error["message"] and "Europe/London" in error["hint"]
    r = cli("user", "update", "mia.meier", "--time-zone", "CET")  # a zone, but not a place's
    assert r.exit_code == 4 and "Region/City" in r.stderr
    assert db_rows("SELECT login, time_zone, updated_at FROM user_account ORDER BY id") == before


def test_only_who_may_update_the_user_sets_the_zone(world: Any, cli: Any, db_rows: Any) -> None:
    r = cli("user", "update", "max.mueller", "--time-zone", "Europe/London", as_="mia.meier")
    assert r.exit_code == 9 and "mia.meier may not change user 'max.mueller'" in r.stderr
    r = cli("user", "update", "max.mueller", "--time-zone", "Europe/London", as_="bert.beta")
    assert r.exit_code == 8 and "user 'max.mueller' not found" in r.stderr
    assert db_rows("SELECT time_zone FROM user_account WHERE login = 'max.mueller'") == [(None,)]


def test_if_not_exists_compares_a_given_zone(world: Any, cli: Any, ok: Any) -> None:
    args = ("user", "create", "--tenant", "mueller", "--first-name", "Mia", "--last-name", "Meier",
            "--email", "mia@mueller.example", "--role", "member", "--if-not-exists")
    assert ok(*args)["action"] == "unchanged"  # no zone given: not compared
    r = cli(*args, "--time-zone", "Europe/London", "--json")
    assert r.exit_code == 5, r.stdout
    assert "time_zone" in r.stdout


def test_the_personal_data_export_holds_the_zone(world: Any, ok: Any) -> None:
    ok("user", "update", "max.mueller", "--time-zone", "Europe/London")
    assert ok("user", "export", "max.mueller")["account"]["time_zone"] == "Europe/London"
    assert ok("user", "export", "mia.meier")["account"]["time_zone"] is None


def test_erasure_drops_the_zone(world: Any, ok: Any, db_rows: Any) -> None:
    ok("user", "update", "mia.meier", "--time-zone", "Europe/London")
    pseudonym = ok("user", "erase", "mia.meier", "--yes")["pseudonym"]
    assert db_rows(f"SELECT time_zone FROM user_account WHERE login = '{pseudonym}'") == [(None,)]
