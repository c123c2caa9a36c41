"""store/services/ingest.py, the one entry both faces use to run a file or a document through the
engine: the result after the commit, or the refusal with every problem raised after the refused run
was committed (so the run is on record although the caller gets an error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import USER_HEADER, write_csv


def _job(path: Path, *, dry_run: bool = False) -> Any:
    from tenantctl.importers import read as reader
    from tenantctl.store.imports import engine
    from tenantctl.store.services import ingest

    source = reader.load(path, max_mb=10).source()
    return ingest.FileImport(source, reader.file_hash(path), path.name, engine.Options(dry_run=dry_run))


def test_a_good_file_is_written_and_its_result_returned(world: Any, ctx_for: Any, db_rows: Any,
                                                        tmp_path: Path) -> None:
    from tenantctl.store.services import ingest

    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["Lea", "Lang", "lea@mueller.example", "mueller", "member"]])
    ran = ingest.run(ctx_for, _job(path))
    assert ran.data["counts"]["users_create"] == 1 and ran.data["run"] is not None
    assert "read" in ran.data["timings"]
    assert db_rows("SELECT login FROM user_account WHERE email = 'lea@mueller.example'") == [("lea.lang",)]
    assert db_rows(f"SELECT state FROM import_run WHERE id = {ran.data['run']}") == [("done",)]


def test_a_refusal_is_raised_after_the_refused_run_was_committed(backend: str, world: Any, ctx_for: Any,
                                                                 db_rows: Any, tmp_path: Path) -> None:
    from tenantctl.store.services import ingest

    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["Lea", "Lang", "lea@mueller.example", "mueller", "member"],
                                          ["Bad", "Row", "not-an-address", "mueller", "member"]])
    with pytest.raises(ingest.Refused) as refused:
        ingest.run(ctx_for, _job(path))
    exc = refused.value
    assert exc.exit_code == 4 and exc.message == f"1 problem(s) in u.csv; nothing was written (run {exc.run})"
    assert [p["row"] for p in exc.problems] == [3] and exc.details and exc.details["skippable"] is True
    assert db_rows(f"SELECT state FROM import_run WHERE id = {exc.run}") == [("rejected",)]
    assert db_rows("SELECT count(*) FROM user_account WHERE email = 'lea@mueller.example'") == [(0,)]


def test_a_refused_dry_run_records_nothing(world: Any, ctx_for: Any, db_rows: Any, tmp_path: Path) -> None:
    from tenantctl.store.services import ingest

    path = write_csv(tmp_path / "u.csv", [USER_HEADER, ["Bad", "Row", "not-an-address", "mueller", "member"]])
    runs = db_rows("SELECT count(*) FROM import_run")
    with pytest.raises(ingest.Refused, match=r"nothing was written \(dry run\)") as refused:
        ingest.run(ctx_for, _job(path, dry_run=True))
    assert refused.value.run is None and db_rows("SELECT count(*) FROM import_run") == runs
