"""Every command named in store/shapes.COMMANDS prints exactly its documented shape, and
docs/json.md is the current rendering of those shapes."""

from pathlib import Path

import pytest

from tenantctl.store import shapes

DOC = Path(__file__).parents[2] / "docs" / "json.md"


def test_docs_json_md_is_generated_from_the_shapes():
    assert DOC.read_text(encoding="utf-8") == shapes.markdown(), "run: python -m tenantctl.store.shapes > docs/json.md"


def test_the_checker_catches_missing_unknown_and_mistyped_fields():
    good = {"key": "acme", "name": "ACME", "bookings": 0, "access_rights": 0, "created_at": "x",
            "created_by": "y", "action": "created"}
    assert shapes.problems(good, shapes.AppResult) == []
    assert shapes.problems({**good, "extra": 1}, shapes.AppResult) == ["data: unknown field 'extra'"]
    assert shapes.problems({**good, "bookings": "0"}, shapes.AppResult) == ["data.bookings: '0' is not an integer"]
    assert shapes.problems({**good, "action": "made"}, shapes.AppResult)[0].startswith("data.action: 'made'")
    del good["name"]
    assert shapes.problems(good, shapes.AppResult) == ["data: missing 'name'"]


@pytest.fixture
def outputs(ok, tmp_path):
    """Run every command of COMMANDS once; command → its `data`."""
    out = {}
    ok("init", "--admin-email", "ops@platform.example", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    out["tenant create"] = ok("tenant", "create", "ACME", "--kind", "reseller", "--key", "acme")
    ok("user", "create", "--tenant", "acme", "--first-name", "Rita", "--last-name", "R", "--email", "rita@acme.example",
       "--role", "admin")
    ok("tenant", "create", "Kunde GmbH", "--kind", "customer", "--reseller", "acme", "--customer-number", "1")
    out["tenant update"] = ok("tenant", "update", "kunde-gmbh", "--name", "Kunde AG")
    out["tenant suspend"] = ok("tenant", "suspend", "kunde-gmbh", "--yes")
    out["tenant activate"] = ok("tenant", "activate", "kunde-gmbh")
    out["tenant show"] = ok("tenant", "show", "kunde-gmbh")
    out["user create"] = ok("user", "create", "--tenant", "kunde-gmbh", "--first-name", "Max", "--last-name", "M",
                            "--email", "max@kunde.example", "--role", "member")
    ok("password", "send-link", "max.m")
    out["user update"] = ok("user", "update", "max.m", "--language", "en")
    out["user disable"] = ok("user", "disable", "max.m", "--yes")
    out["user enable"] = ok("user", "enable", "max.m")
    out["user show"] = ok("user", "show", "max.m")
    out["member add"] = ok("member", "add", "max.m", "--tenant", "acme")
    out["member remove"] = ok("member", "remove", "max.m", "--tenant", "acme", "--yes")
    out["app create"] = ok("app", "create", "Lohn")
    out["invite create"] = ok("invite", "create", "--kind", "member", "--tenant", "acme", "--email", "new@acme.example",
                             "--role", "member")
    inv = out["invite create"]["id"]
    out["invite reissue"] = ok("invite", "reissue", str(inv))
    out["invite show"] = ok("invite", "show", str(inv))
    out["invite revoke"] = ok("invite", "revoke", str(inv))
    # a connection request: a partner invitation accepted by a new organisation
    ok("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Neu KG")
    link = ok("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Neu KG")["link"]
    (tmp_path / "link.txt").write_text(link)
    accepted = ok("invite", "accept", "--token-file", str(tmp_path / "link.txt"), "--organisation", "Neu KG",
                  "--first-name", "Nina", "--last-name", "Neu", "--email", "nina@neu.example")
    ok("tenant", "approve", accepted["tenant"]) if accepted["tenant_status"] == "pending_approval" else None
    conn = str(accepted["connection"])
    out["connection show"] = ok("connection", "show", conn)
    out["connection request-info"] = ok("connection", "request-info", conn, "--message", "VAT?")
    out["connection answer"] = ok("connection", "answer", conn, "--message", "DE1")
    out["connection reject"] = ok("connection", "reject", conn)
    out["connection delete"] = ok("connection", "delete", conn, "--yes")
    link2 = ok("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Zwei KG")["link"]
    (tmp_path / "link2.txt").write_text(link2)
    acc2 = ok("invite", "accept", "--token-file", str(tmp_path / "link2.txt"), "--organisation", "Zwei KG",
              "--first-name", "Zora", "--last-name", "Zwei", "--email", "zora@zwei.example")
    out["tenant approve"] = ok("tenant", "approve", acc2["tenant"])
    out["connection approve"] = ok("connection", "approve", str(acc2["connection"]))
    link3 = ok("invite", "create", "--kind", "partner", "--from", "acme", "--customer-name", "Drei KG")["link"]
    (tmp_path / "link3.txt").write_text(link3)
    acc3 = ok("invite", "accept", "--token-file", str(tmp_path / "link3.txt"), "--organisation", "Drei KG",
              "--first-name", "Dora", "--last-name", "Drei", "--email", "dora@drei.example")
    out["tenant reject"] = ok("tenant", "reject", acc3["tenant"])
    (tmp_path / "state.yaml").write_text("tenants:\n  - {name: Apply GmbH, reseller: acme, users: "
                                         "[{email: a@apply.example, first_name: A, last_name: B}]}\n")
    out["apply"] = ok("apply", "-f", str(tmp_path / "state.yaml"))
    return out


@pytest.mark.usefixtures("cli_mode")  # remote mode prints the same shapes (apply runs locally)
def test_every_command_prints_its_documented_shape(outputs):
    missing = set(shapes.COMMANDS) - set(outputs)
    assert not missing, f"no test output for {sorted(missing)}"
    for command, data in outputs.items():
        assert shapes.problems(data, shapes.COMMANDS[command]) == [], command
