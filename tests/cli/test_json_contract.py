"""The JSON contract of docs/json.md: which document each exit code comes with, one document on
stdout, and a non-zero exit's one line on stderr (issue 19: `$(tenantctl … --json | jq …)` under
`set -e` must not stop without a word)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tenantctl.store.errors import JSON_DOCUMENT


def _users_csv(tmp_path: Path, *rows: list[str]) -> str:
    from tests.imports.conftest import USER_HEADER, write_csv

    return str(write_csv(tmp_path / "benutzer.csv", [USER_HEADER, *rows]))


CASES: list[tuple[int, str, str | None, Any]] = [
    (0, "data", None, lambda tmp: ["tenant", "list"]),
    (2, "error", "usage", lambda tmp: ["tenant", "frobnicate"]),
    (3, "error", "confirmation_needed", lambda tmp: ["member", "remove", "mia.meier", "--tenant", "mueller"]),
    (4, "error", "invalid_input", lambda tmp: ["tenant", "create", "X", "--kind", "customer", "--currency", "EURO"]),
    (4, "error", "invalid_input", lambda tmp: ["import", "run", _users_csv(tmp, ["A", "B", "kaputt", "mueller", ""]),
                                                "--dry-run"]),
    (5, "error", "conflict", lambda tmp: ["tenant", "create", "Dup", "--kind", "reseller", "--key", "acme"]),
    (6, "data", None, lambda tmp: ["import", "run", _users_csv(tmp, ["A", "B", "kaputt", "mueller", ""],
                                                                ["C", "D", "c@d.example", "mueller", ""]),
                                   "--skip-invalid"]),
    (7, "error", "unreachable", lambda tmp: ["--db", "postgresql+psycopg://x@127.0.0.1:1/nope", "tenant", "list"]),
    (8, "error", "not_found", lambda tmp: ["tenant", "show", "nope"]),
    (9, "error", "permission_denied", lambda tmp: ["--as", "ghost", "tenant", "list"]),
    (10, "error", "schema", lambda tmp: ["--db", f"sqlite:///{tmp}/none.db", "tenant", "list"]),
]


@pytest.mark.parametrize(("code", "document", "error", "args"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_exit_code_comes_with_its_document(world: Any, cli: Any, tmp_path: Path, code: int, document: str,
                                                error: str | None, args: Any) -> None:
    assert code in JSON_DOCUMENT
    r = cli(*args(tmp_path), "--json")
    assert r.exit_code == code, (r.stdout, r.stderr)
    doc = r.json()  # the runner has checked that it is the only document
    assert next(iter(doc)) == document and document in JSON_DOCUMENT[code]
    if error is not None:
        assert doc["error"]["code"] == error
        assert r.stderr == f"error: {doc['error']['message']}" + (f" ({doc['error']['hint']})\n"
                                                                 if doc["error"]["hint"] else "\n")
    if code:
        assert r.stderr.strip(), "a non-zero exit says why on stderr"
    else:
        assert r.stderr == ""


@pytest.mark.no_dry_run_twin("its dry run is interrupted too, before any commit: it says nothing was written")
def test_ctrl_c_after_the_commit_names_the_run_and_its_undo(world: Any, cli: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(hooks: Any) -> None:  # Ctrl-C while the mails of the committed import go out
        raise KeyboardInterrupt

    path = _users_csv(tmp_path, ["Anna", "Weiß", "anna@mueller.example", "mueller", ""])
    with monkeypatch.context() as mp:
        mp.setattr("tenantctl.cli.runtime.after_commit", interrupted)
        r = cli("import", "run", path, "--json")
        dry = cli("import", "run", path, "--dry-run", "--json")
        human = cli("import", "run", path)
    assert r.exit_code == 130
    assert r.json()["error"]["message"] == "interrupted after the commit: run 1 (undo: tenantctl import undo 1)"
    assert r.stderr.startswith("error: interrupted after the commit: run 1")
    assert cli("import", "show", "1", "--json").data["state"] == "done"  # it is written, as said
    assert dry.exit_code == 130 and dry.json()["error"]["message"] == "interrupted; nothing changed"
    # the file again: unchanged, nothing new was written, and the interruption says so
    assert human.exit_code == 130 and "error: interrupted; nothing changed" in human.stderr
