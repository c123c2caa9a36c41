"""The background read: its value or its exception reaches the main thread, once."""

from __future__ import annotations

import threading

import pytest

from importers.background import Background, fair_share
from store.errors import InvalidInput


def test_value_is_handed_over_once_and_computed_in_another_thread() -> None:
    result = Background(lambda: (threading.current_thread().name, [1, 2])).result()
    assert result == ("tenantctl-<lambda>", [1, 2])


def test_the_threads_exception_is_raised_in_the_caller() -> None:
    def fail() -> None:
        raise InvalidInput("kunden.xls is an old Excel .xls file", hint="save it as .xlsx or .csv")

    reading = Background(fail)
    with pytest.raises(InvalidInput, match="old Excel"):
        reading.result()


def test_wait_leaves_the_value_for_result() -> None:
    gate = threading.Event()
    reading = Background(lambda: gate.wait(5) and "gelesen")
    gate.set()
    reading.wait()
    assert reading.result() == "gelesen"


def test_fair_share_shortens_the_switch_interval_for_the_block_and_restores_it() -> None:
    import sys

    before = sys.getswitchinterval()
    with fair_share():
        assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert sys.getswitchinterval() == before
    with pytest.raises(InvalidInput), fair_share(0.001):
        raise InvalidInput("kaputt")
    assert sys.getswitchinterval() == before


def test_a_loaded_file_builds_its_tables_once(tmp_path) -> None:
    from importers import read

    path = tmp_path / "u.csv"
    path.write_text("Vorname;Nachname;E-Mail;Mandant\nAnna;Weiß;anna@example.org;acme\n", encoding="utf-8")
    loaded = read.load(path)
    source = loaded.source()
    assert source.tables["users"].rows == [(2, ("Anna", "Weiß", "anna@example.org", "acme"))]
    with pytest.raises(RuntimeError, match="twice"):
        loaded.source()
