"""A tenant's own time zone (`tenant update --time-zone`, PATCH /api/v1/tenants/KEY), locally and
over HTTP: who may set it, the refusal of an unknown zone, '' back to the platform's."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("cli_mode")


def test_a_customer_admin_or_its_reseller_sets_the_zone_a_member_may_not(world: Any, cli: Any) -> None:
    r = cli("tenant", "update", "mueller", "--time-zone", "Europe/London", "--json", as_="max.mueller")
    assert r.exit_code == 0, r.stderr
    assert r.json()["data"]["time_zone"] == "Europe/London"
    assert r.json()["data"]["changed"] == {"time_zone": [None, "Europe/London"]}
    shown = cli("tenant", "show", "mueller", "--json", as_="rita.reseller").json()["data"]
    assert shown["time_zone"] == "Europe/London"
    r = cli("tenant", "update", "mueller", "--time-zone", "UTC", "--json", as_="rita.reseller")
    assert r.exit_code == 0 and r.json()["data"]["time_zone"] == "UTC"
    r = cli("tenant", "update", "mueller", "--time-zone", "Europe/Paris", as_="mia.meier")
    assert r.exit_code == 9 and "mia.meier may not change tenant 'mueller'" in r.stderr
    r = cli("tenant", "update", "mueller", "--time-zone", "Europe/Paris", as_="bert.beta")
    assert r.exit_code == 8 and "tenant 'mueller' not found" in r.stderr  # outside the actor's scope: not found
    r = cli("tenant", "update", "mueller", "--time-zone", "Mitteleuropa", as_="max.mueller")
    assert r.exit_code == 4 and "'Mitteleuropa' is not a known time zone" in r.stderr
    r = cli("tenant", "update", "mueller", "--time-zone", "", "--json", as_="max.mueller")
    assert r.exit_code == 0 and "time_zone" not in r.json()["data"]
    assert r.json()["data"]["changed"] == {"time_zone": ["UTC", None]}
