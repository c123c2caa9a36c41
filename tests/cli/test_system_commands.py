"""init, db, config, doctor."""

import json


def test_init_creates_the_store_in_home(cli, tmp_path):
    r = cli("init", "--json")
    assert r.exit_code == 0 and r.stderr == ""
    data = r.json()["data"]
    assert data["operator_tenant"] == "platform-operator" and data["created"] == ["operator tenant platform-operator"]
    assert (tmp_path / "home" / "tenantctl.db").exists()


def test_init_validates_admin_options(cli):
    r = cli("init", "--admin-email", "ops@example.com")
    assert r.exit_code == 4 and "needs e-mail, first and last name" in r.stderr


def test_db_status_and_upgrade_without_alembic_ini(ok, cli, tmp_path):
    assert not (tmp_path / "alembic.ini").exists()
    r = cli("db", "status", "--json")
    assert r.exit_code == 10  # no store yet
    ok("init")
    status = ok("db", "status")
    assert status["state"] == "current" and status["current"] == status["head"]
    assert ok("db", "upgrade")["changed"] is False


def test_config_show_sources_and_masking(cli, tmp_path, monkeypatch):
    conf = tmp_path / "xdg" / "tenantctl" / "config.toml"
    conf.parent.mkdir(parents=True)
    conf.write_text('mail_from = "ops@platform.example"\nsmtp_password = "nope"\n')
    conf.chmod(0o600)
    monkeypatch.setenv("TENANTCTL_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("TENANTCTL_DATABASE_URL", "postgresql+psycopg://app:pw123@db.example/tenantctl")
    r = cli("config", "show", "--json")  # with --as it is refused unless that user is an operator
    rows = {row["name"]: row for row in r.json()["data"]}
    assert rows["actor"] == {"name": "actor", "value": None, "source": "default"}
    assert rows["mail_from"]["source"] == str(conf)
    assert rows["smtp_password"] == {"name": "smtp_password", "value": "********", "source": "environment"}
    assert rows["database_url"]["value"] == "postgresql+psycopg://app:***@db.example/tenantctl"
    assert rows["initial_link_days"] == {"name": "initial_link_days", "value": 7, "source": "default"}
    assert "hunter2" not in r.stdout and "pw123" not in r.stdout


def test_settings_out_of_bounds_refused(cli, monkeypatch):
    monkeypatch.setenv("TENANTCTL_INITIAL_LINK_DAYS", "90")
    r = cli("config", "show")
    assert r.exit_code == 4 and "initial_link_days=90 (environment) is out of bounds" in r.stderr


def test_doctor(ok, cli):
    r = cli("doctor", "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["data"]["ok"] is False  # no store yet
    ok("init")
    r = cli("doctor", "--json")
    data = r.json()["data"]
    assert r.exit_code == 0 and data["ok"] is True
    assert {c["check"] for c in data["checks"]} == {"home", "store reachable", "schema", "executable", "base_url",
                                                 "imprint_url", "privacy_url"}
    assert data["versions"]["sqlalchemy"][0].isdigit()
