"""Configuration that can redirect links or load code is read only from trusted places, and mail
templates render sandboxed (issue 9, critical 4)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

posix_only = pytest.mark.skipif(os.name != "posix", reason="file ownership and modes are POSIX")


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_tenantctl_toml_in_the_current_directory_is_not_read(cli, tmp_path):
    # the tests run in tmp_path: a hostile upload folder with its own settings file
    _write(tmp_path / "tenantctl.toml", 'base_url = "https://evil.example"\ntemplates_dir = "/tmp"\n')
    rows = {row["name"]: row for row in cli("config", "show", "--json").data}
    assert rows["base_url"] == {"name": "base_url", "value": "https://platform.example", "source": "default"}
    assert rows["templates_dir"]["source"] == "default"


def test_explicit_config_flag_and_environment(cli, tmp_path, monkeypatch):
    conf = _write(tmp_path / "ops" / "tenantctl.toml", 'base_url = "https://portal.example"\n')
    rows = {row["name"]: row for row in cli("--config", str(conf), "config", "show", "--json").data}
    assert rows["base_url"] == {"name": "base_url", "value": "https://portal.example", "source": str(conf)}
    assert rows["config"] == {"name": "config", "value": str(conf), "source": "flag"}
    monkeypatch.setenv("TENANTCTL_CONFIG", str(conf))
    rows = {row["name"]: row for row in cli("config", "show", "--json").data}
    assert rows["base_url"]["source"] == str(conf) and rows["config"]["source"] == "environment"


def test_user_config_folder_is_read(cli, tmp_path):
    conf = _write(tmp_path / "xdg" / "tenantctl" / "config.toml", 'mail_from = "ops@platform.example"\n')
    rows = {row["name"]: row for row in cli("config", "show", "--json").data}
    assert rows["mail_from"] == {"name": "mail_from", "value": "ops@platform.example", "source": str(conf)}


def test_missing_explicit_config_is_an_error(cli, tmp_path):
    r = cli("--config", str(tmp_path / "nope.toml"), "config", "show")
    assert r.exit_code == 4 and f"settings file {tmp_path / 'nope.toml'} does not exist" in r.stderr


@posix_only
@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_config_writable_by_others_is_refused(cli, tmp_path, mode):
    conf = _write(tmp_path / "xdg" / "tenantctl" / "config.toml", 'base_url = "https://evil.example"\n', mode)
    r = cli("config", "show")
    assert r.exit_code == 4
    assert r.stderr.count("\n") == 1  # one line
    assert f"settings file {conf} is writable by others, refused" in r.stderr and f"chmod 600 {conf}" in r.stderr
    r = cli("--config", str(conf), "tenant", "list", "--json")
    assert r.exit_code == 4 and "chmod 600" in r.json()["error"]["hint"]


@posix_only
def test_config_owned_by_another_user_is_refused(cli, tmp_path, monkeypatch):
    conf = _write(tmp_path / "ops.toml", 'base_url = "https://evil.example"\n')
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)  # the file now belongs to "someone else"
    r = cli("--config", str(conf), "config", "show")
    assert r.exit_code == 4
    assert f"settings file {conf} is owned by another user, refused" in r.stderr and "chown" in r.stderr


def test_sandbox_refuses_code_in_a_template_override(tmp_path, cli, monkeypatch):
    folder = tmp_path / "overrides"
    marker = tmp_path / "pwned"
    _write(folder / "de" / "password_link_initial.subject.txt",
           "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "; id').read() }}\n")
    monkeypatch.setenv("TENANTCTL_TEMPLATES_DIR", str(folder))
    r = cli("mail", "preview", "password_link_initial", "--lang", "de", "--json")
    assert r.exit_code == 4
    msg = r.json()["error"]["message"]
    assert "password_link_initial.subject.txt" in msg and "refused by the sandbox" in msg
    assert "__init__" in msg and "unsafe" in msg
    assert not marker.exists()
    assert "uid=" not in r.stdout


def test_sandbox_still_renders_the_shipped_templates(ok):
    assert ok("mail", "preview", "password_link_reset", "--lang", "en")["subject"]
