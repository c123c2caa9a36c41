"""`${VAR}` in an apply document takes only what the caller names (--var, --var-file, --env-allow):
never the environment as such, never tenantctl's own settings or secrets (TENANTCTL_*)."""

import json

import pytest
from sqlmodel import select

from tenantctl.importers.variables import missing_message
from tenantctl.store.models import ImportRun, Tenant
from tests.apply.test_apply import platform, state, write  # noqa: F401 (platform: a fixture)

pytestmark = pytest.mark.usefixtures("platform")

SECRET = "s3cr3t-smtp-Passw0rd"
STEALING = """
tenants:
  - name: Leak GmbH
    reseller: acme
    external_id: "${TENANTCTL_SMTP_PASSWORD}"
    customer_number: "${HOME_NUMBER}"
"""


def _everything(r):
    return r.stdout + r.stderr


def test_a_document_cannot_read_the_environment_or_the_tools_secrets(backend, cli, store, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("TENANTCTL_SMTP_PASSWORD", SECRET)
    monkeypatch.setenv("HOME_NUMBER", "4711")
    f = write(tmp_path, STEALING)
    before = state(store)
    r = cli("apply", "-f", f, "--json", as_="rita.reseller")
    assert r.exit_code == 4, r.stdout
    problems = r.json()["error"]["details"]["problems"]
    assert {"path": "tenants[0].external_id", "message": missing_message("TENANTCTL_SMTP_PASSWORD")} in problems
    assert {"path": "tenants[0].customer_number", "message": missing_message("HOME_NUMBER")} in problems
    human = cli("apply", "-f", f, as_="rita.reseller")
    assert human.exit_code == 4
    assert "tenants[0].external_id: variable ${TENANTCTL_SMTP_PASSWORD} is not given" in human.stderr
    planned = cli("apply", "-f", f, "--dry-run", "--json", as_="rita.reseller")  # the plan never shows them
    for out in (r, human, planned):
        assert SECRET not in _everything(out) and "4711" not in _everything(out)
    assert state(store)[:3] == before[:3]
    with store.transaction(write=False) as s:
        assert s.exec(select(Tenant).where(Tenant.name == "Leak GmbH")).first() is None


def test_the_tools_own_settings_are_never_variables_however_named(cli, store, tmp_path, monkeypatch):
    monkeypatch.setenv("TENANTCTL_SMTP_PASSWORD", SECRET)
    f = write(tmp_path, STEALING)
    secrets = write(tmp_path, f"TENANTCTL_SMTP_PASSWORD: {SECRET}\nHOME_NUMBER: '1'\n", "vars.yaml")
    for args, message in (
            (("--env-allow", "TENANTCTL_SMTP_PASSWORD"),
             "--env-allow: TENANTCTL_SMTP_PASSWORD is one of tenantctl's own settings, never a document variable"),
            (("--var", f"tenantctl_smtp_password={SECRET}"),
             "--var: tenantctl_smtp_password is one of tenantctl's own settings, never a document variable"),
            (("--var-file", secrets),
             "--var-file vars.yaml: TENANTCTL_SMTP_PASSWORD is one of tenantctl's own settings, never a document "
             "variable")):
        r = cli("apply", "-f", f, *args, "--var", "HOME_NUMBER=1", "--json")
        assert r.exit_code == 4, (args, r.stdout)
        assert r.json()["error"]["message"] == message
        assert SECRET not in r.stdout + r.stderr
    with store.transaction(write=False) as s:
        assert s.exec(select(ImportRun)).first() is None  # refused before the store was touched


def test_var_var_file_and_env_allow_fill_the_document_later_ones_winning(backend, ok, cli, tmp_path,
                                                                         monkeypatch):
    doc = write(tmp_path, "tenants:\n  - {name: '${NAME}', reseller: '${RESELLER}', currency: '${CUR:-CHF}',"
                          " customer_number: '${NUMBER}'}\n")
    values = write(tmp_path, json.dumps({"NAME": "Aus Datei GmbH", "NUMBER": "0042"}), "vars.json")
    monkeypatch.setenv("RESELLER", "beta")
    monkeypatch.setenv("NAME", "Aus Umgebung GmbH")
    # the environment alone: not a source
    r = cli("apply", "-f", doc, "--var-file", values, "--json")
    assert r.exit_code == 4
    assert [p["path"] for p in r.json()["error"]["details"]["problems"]] == ["tenants[0].reseller"]
    # --env-allow names one variable of the environment; the file overrides it, --var overrides both
    data = ok("apply", "-f", doc, "--env-allow", "RESELLER", "--env-allow", "NAME", "--var-file", values,
              "--var", "NUMBER=0043")
    assert data["counts"]["tenants"]["created"] == 1
    shown = ok("tenant", "show", "aus-datei-gmbh")
    assert (shown["reseller"], shown["currency"], shown["customer_number"]) == ("beta", "CHF", "0043")


def test_bad_variable_arguments_are_one_line_without_their_values(cli, tmp_path):
    doc = write(tmp_path, "tenants: []\n")
    numbers = write(tmp_path, "PIN: 1234\n", "n.yaml")
    listed = write(tmp_path, "- a\n- b\n", "l.yaml")
    for args, message in (
            (("--var", "NOVALUE"), "--var 'NOVALUE' is not NAME=VALUE"),
            (("--var", "1X=2"), "--var: '1X' is not a variable name (letters, digits and _; not a digit first)"),
            (("--var-file", numbers), "--var-file n.yaml: the value of PIN is not text"),
            (("--var-file", listed), "--var-file l.yaml is not a mapping of variable names to values"),
            (("--var-file", str(tmp_path / "none.yaml")), f"cannot read {tmp_path / 'none.yaml'}: "
                                                          "No such file or directory")):
        r = cli("apply", "-f", doc, *args, "--json")
        assert r.exit_code == 4, (args, r.stdout)
        assert r.json()["error"]["message"] == message
        assert "1234" not in r.stdout


@pytest.mark.parametrize("variables", [(), ("--var", "X=1")])
def test_a_document_without_variables_ignores_them(ok, tmp_path, variables):
    data = ok("apply", "-f", write(tmp_path, "tenants:\n  - {name: Plain GmbH, reseller: acme}\n"), *variables)
    assert data["counts"]["tenants"]["created"] == 1
