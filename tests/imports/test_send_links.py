"""--send-links: one initial password-link mail per user this run created, none for existing users,
delivered through the outbox (file transport) after the commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.imports.conftest import basic_workbook

pytestmark = pytest.mark.usefixtures("cli_mode")  # every test runs locally and over HTTP


def test_send_links_for_created_users_only(world: Any, ok: Any, store: Any, tmp_path: Path) -> None:
    # max@mueller.example exists before the run: it gets a membership, never a link
    path = basic_workbook(tmp_path / "a.xlsx", [["Jürgen", "Weiß", "juergen@weiss.example", "20001", "admin"],
                                                ["Zoë", "Schröder", "zoe@schroeder.example", "20002", "admin"],
                                                ["Max", "Müller", "max@mueller.example", "20001", "member"]])
    data = ok("import", "run", str(path), "--send-links")
    assert data["links_queued"] == 2
    with store.engine.connect() as conn:
        mails = conn.execute(text("SELECT to_address, template, ref_type, state FROM outbox_mail "
                                  "ORDER BY to_address")).fetchall()
        links = conn.execute(text("SELECT u.login, l.purpose FROM password_link l JOIN user_account u "
                                  "ON u.id = l.user_id ORDER BY u.login")).fetchall()
    assert [(m[0], m[1], m[2]) for m in mails] == [
        ("juergen@weiss.example", "password_link_initial", "password_link"),
        ("zoe@schroeder.example", "password_link_initial", "password_link")]
    assert {m[3] for m in mails} == {"sent"}  # delivered after the commit by the file transport
    assert [tuple(r) for r in links] == [("juergen.weiss", "initial"), ("zoe.schroeder", "initial")]
    # a re-run creates nobody, so it sends nothing
    again = ok("import", "run", str(path), "--send-links")
    assert "links_queued" not in again
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox_mail")).scalar_one() == 2


def test_dry_run_sends_no_links(world: Any, ok: Any, store: Any, tmp_path: Path) -> None:
    ok("import", "run", str(basic_workbook(tmp_path / "a.xlsx")), "--send-links", "--dry-run")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox_mail")).scalar_one() == 0
