"""An apply document is data, not a way in: a key given twice is refused at its path with the
places of both (YAML and JSON), and a file that is not a document (a passwd or shadow file, a csv,
a config file, a binary) is refused without quoting a line of it — locally, in remote mode and
through POST /api/v1/apply (tests/api/test_apply_remote.py)."""

import json

import pytest
from sqlmodel import select

from tenantctl.store.models import ImportRun, Tenant
from tests.apply.test_apply import platform, state, write  # noqa: F401 (platform: a fixture)

REPEATED_YAML = """version: 1
tenants:
  - name: Doppelt GmbH
    reseller: acme
    customer_number: "0042"
    users:
      - {email: a@doppelt.example, first_name: Anna, last_name: Alt}
      - email: b@doppelt.example
        first_name: Bea
        last_name: Berg
        email: c@doppelt.example
    customer_number: "0043"
"""
REPEATED_PROBLEMS = [
    {"path": "tenants[0].customer_number", "message": "is given 2 times (lines 5 and 12)"},
    {"path": "tenants[0].users[1].email", "message": "is given 2 times (lines 8 and 11)"}]
REPEATED_JSON = """{
  "version": 1,
  "tenants": [
    {"name": "Doppelt GmbH", "reseller": "acme",
     "customer_number": "0042",
     "customer_number": "0043"}
  ],
  "version": 1
}
"""


@pytest.mark.usefixtures("platform")
def test_a_key_given_twice_is_refused_at_its_path_with_both_places(backend, cli, store, tmp_path):
    before = state(store)
    r = cli("apply", "-f", write(tmp_path, REPEATED_YAML), "--json")
    assert r.exit_code == 4, r.stdout
    error = r.json()["error"]
    assert error["message"] == ("state.yaml gives a key twice: tenants[0].customer_number is given 2 times "
                                "(lines 5 and 12); tenants[0].users[1].email is given 2 times (lines 8 and 11)")
    assert error["hint"] == "keep one of each: the later one would silently replace the earlier"
    assert error["details"]["problems"] == REPEATED_PROBLEMS
    r = cli("apply", "-f", write(tmp_path, REPEATED_JSON, "state.json"), "--dry-run", "--json")
    assert r.exit_code == 4
    assert r.json()["error"]["details"]["problems"] == [
        {"path": "tenants[0].customer_number", "message": "is given 2 times (lines 5 and 6)"},
        {"path": "version", "message": "is given 2 times (lines 2 and 8)"}]
    one_line = json.dumps({"tenants": [{"name": "X"}]}).replace('"name": "X"', '"name": "X", "name": "Y"')
    r = cli("apply", "-f", "-", "--json", input=one_line)
    assert r.exit_code == 4
    assert r.json()["error"]["details"]["problems"] == [
        {"path": "tenants[0].name", "message": "is given 2 times (line 1 column 15 and line 1 column 28)"}]
    assert state(store) == before
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant).where(Tenant.name == "Doppelt GmbH")).first() is None


@pytest.mark.usefixtures("platform")
def test_the_same_key_in_different_places_and_merge_keys_are_fine(ok, tmp_path):
    doc = """tenants:
  - &first {name: Eins GmbH, reseller: acme, currency: EUR, customer_number: "1"}
  - {<<: *first, name: Zwei GmbH, customer_number: "2", currency: CHF}
"""
    assert ok("apply", "-f", write(tmp_path, doc))["counts"]["tenants"]["created"] == 2
    assert ok("tenant", "show", "zwei-gmbh")["currency"] == "CHF"  # an explicit key overrides a merged one


@pytest.mark.usefixtures("platform")
def test_a_variables_file_with_a_key_given_twice_is_refused(cli, tmp_path):
    values = write(tmp_path, "RESELLER: acme\nRESELLER: beta\n", "vars.yaml")
    r = cli("apply", "-f", write(tmp_path, "tenants: []\n"), "--var-file", values, "--json")
    assert r.exit_code == 4
    assert r.json()["error"]["details"]["problems"] == [{"path": "RESELLER", "message": "is given 2 times "
                                                                                        "(lines 1 and 2)"}]


SECRET_HASH = "$6$Qx9kT2b$Wc0nFpH1sZ9yA8nI7uE4mR3tJ2kL1oP0qS9dF8gH7jK6lZ5xC4vB3nM2aS1dF0gH9jK8lZ7xC6vB5nM4aS3dF2g"
NOT_DOCUMENTS = {
    "shadow": (f"root:{SECRET_HASH}:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n"
               f"rita:{SECRET_HASH[:-5]}xyzzy:19700:0:99999:7:::\n", "a mapping without version, tenants or users"),
    "passwd": ("root:x:0:0:root:/root:/bin/bash\nrita:x:1000:1000:Rita Reseller,,,:/home/rita:/bin/bash\n",
               "plain text"),
    "kunden.csv": ("Firma;Kundennummer;E-Mail\nGeheim GmbH;4711;chef@geheim.example\n", "plain text"),
    "settings.yaml": ("smtp_host: mail.internal\nsmtp_password: hunter2-geheim\n",
                      "a mapping without version, tenants or users"),
    "list.json": ('["chef@geheim.example", "hunter2-geheim"]', "a list"),
    "number.yaml": ("4711\n", "a single value"),
}


@pytest.mark.usefixtures("platform")
@pytest.mark.parametrize("name", sorted(NOT_DOCUMENTS))
def test_a_file_that_is_not_a_document_is_refused_without_quoting_it(cli, store, tmp_path, name):
    text, what = NOT_DOCUMENTS[name]
    path = write(tmp_path, text, name)
    for args in (("--json",), ()):
        r = cli("apply", "-f", path, *args)
        assert r.exit_code == 4, r.stdout
        out = r.stdout + r.stderr
        if args:
            assert r.json()["error"]["message"] == f"{name} is not a tenantctl document: it reads as {what}"
        for line in text.splitlines():
            for part in line.replace(":", ";").replace(",", ";").split(";"):
                if len(part) > 3 and part not in {"root", "mail", "bash", "/bin/bash", "E-Mail", "Firma"}:
                    assert part not in out, (part, out)
    with store.transaction(write=False) as s:
        assert s.exec(select(ImportRun)).first() is None


@pytest.mark.usefixtures("platform")
def test_a_binary_is_refused_in_one_line(cli, tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    r = cli("apply", "-f", str(path), "--json")
    assert r.exit_code == 4
    assert r.json()["error"]["message"] == "photo.png is not UTF-8 (byte 0)"
