"""The background read: its value or its exception reaches the main thread, once."""

from __future__ import annotations

import threading

import pytest

from tenantctl.importers.background import Background
from tenantctl.store.errors import InvalidInput


def test_value_is_handed_over_once_and_computed_in_another_thread() -> None:
    result = Background(lambda: (threading.current_thread().name, [1, 2])).result()
    assert result == ("tenantctl-<lambda>", [1, 2])


def test_the_threads_exception_is_raised_in_the_caller() -> None:
    def fail() -> None:
        raise InvalidInput("kunden.xls is an old Excel .xls file", hint="save it as .xlsx or .csv")

    reading = Background(fail)
    with pytest.raises(InvalidInput, match="old Excel"):
        reading.result()


def test_a_loaded_file_builds_its_tables_once(tmp_path) -> None:
    from tenantctl.importers import read

    path = tmp_path / "u.csv"
    path.write_text("Vorname;Nachname;E-Mail;Mandant\nAnna;Weiß;anna@example.org;acme\n", encoding="utf-8")
    loaded = read.load(path)
    source = loaded.source()
    assert source.tables["users"].rows == [(2, ("Anna", "Weiß", "anna@example.org", "acme"))]
    with pytest.raises(RuntimeError, match="twice"):
        loaded.source()


def test_on_scanned_is_called_once_after_the_sheet_scans(tmp_path, monkeypatch) -> None:
    """import run loads the store's modules only after the scans (which hold the GIL), beside the parse."""
    from tenantctl.importers import read, sheetscan
    from tests.imports.conftest import basic_workbook

    events: list[str] = []
    real_scan = sheetscan.scan
    monkeypatch.setattr(sheetscan, "scan", lambda zf, part, name: events.append(f"scan {name}") or real_scan(
        zf, part, name))
    read.load(basic_workbook(tmp_path / "k.xlsx"), on_scanned=lambda: events.append("scanned"))
    assert events == ["scan Mandanten", "scan Benutzer", "scanned"]


def test_a_failed_read_still_releases_the_command(tmp_path) -> None:
    """The command waits for `scanned` before loading the store: a file that fails to read sets it too."""
    from tenantctl.cli.commands.import_run import _read
    from tenantctl.importers import read

    scanned = threading.Event()
    bad = tmp_path / "alt.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    reading = Background(_read, read, bad, None, None, None, 10, None, "auto", scanned)
    assert scanned.wait(5)
    with pytest.raises(InvalidInput, match="old Excel"):
        reading.result()
