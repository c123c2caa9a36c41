"""A workbook that books apps the store does not have is refused with one line naming them and
`tenantctl app create`, not with a hundred row problems (those stay in the marked copy and --json)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "migration.xlsx"
APPS = "Lohnbuchhaltung, Zeiterfassung, Dokumente"


@pytest.mark.usefixtures("cli_mode")
def test_missing_apps_are_named_once(cli: Any, ok: Any, counts: Any, tmp_path: Path) -> None:
    ok("init", "--admin-email", "ops@example.com", "--admin-first-name", "Olga", "--admin-last-name", "Peters")
    path = Path(shutil.copy(EXAMPLE, tmp_path / "migration.xlsx"))
    before = counts()
    r = cli("import", "run", str(path))
    assert r.exit_code == 4 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(" ".join(lines).split("error: ")) == 2  # one refusal, whatever the terminal's width
    said = " ".join(r.stderr.split())
    assert said.startswith(f"error: these apps do not exist: {APPS}; nothing was written from migration.xlsx")
    assert 'create them first: tenantctl app create "Lohnbuchhaltung" (one per app), then import again' in said
    data = cli("import", "run", str(path), "--force", "--json").json()["error"]
    assert data["details"]["missing_apps"] == ["Lohnbuchhaltung", "Zeiterfassung", "Dokumente"]
    assert len(data["details"]["problems"]) > 50  # every row still says it in the marked copy and here
    after = counts()
    assert {t: after[t] for t in ("tenant", "user_account", "membership")} == \
        {t: before[t] for t in ("tenant", "user_account", "membership")}
