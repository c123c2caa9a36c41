"""Issue 10, class 6: hostile workbooks stay bounded. Reading is bounded by the filled cells, not
by the grid python-calamine would build from the first to the last of them; peak memory is measured
in a child process (getrusage), so the bound is asserted, not hoped for. Each holds with the default
reader (auto: the 100,000-row workbook is read into columns, the small ones row by row) and with each
reader forced (TENANTCTL_IMPORT_READER)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.imports.conftest import USER_HEADER, raw_xlsx, run_measured, xml_row

BOUND_MB = 300
# the refused 100,000-row workbook peaks at 237-244 MB with the default reader (columns) on the 2-core
# machine, and reached 273 MB once in a full CI run beside two other test suites: asserted under the
# bound itself. That the name caches stay bounded (289-306 MB before they were) is asserted apart,
# without the noise of a process's memory: test_the_name_caches_stay_bounded_for_distinct_names.
# None: the default (auto); the child process inherits the variable
READERS = [None, "rows", "columns"]


def _reader(monkeypatch: pytest.MonkeyPatch, reader: str | None) -> None:
    from tenantctl.importers import read

    if reader is None:
        monkeypatch.delenv(read.READER, raising=False)
    else:
        monkeypatch.setenv(read.READER, reader)
PEOPLE = [["Jürgen", "Weiß", "juergen.weiss@mueller.example", "mueller", "member"],
          ["Zoë", "Schröder", "zoe.schroeder@mueller.example", "mueller", "member"]]


def _with_stray_space(path: Path, ref: str) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Benutzer"
    for row in [USER_HEADER, *PEOPLE]:
        ws.append(row)
    ws[ref] = " "  # one stray space: "cleared" with the space bar
    wb.save(path)
    return path


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("ref", ["XFD1048576", "Z1048576"])
def test_stray_cell_far_out_is_named_not_an_abort(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  ref: str, reader: str | None) -> None:
    _reader(monkeypatch, reader)
    path = _with_stray_space(tmp_path / "benutzer.xlsx", ref)
    assert path.stat().st_size < 6_000
    code, stderr, peak = run_measured("import", "run", str(path), "--json")
    assert code == 4, stderr  # before: exit 134 (Rust allocation failure of 512 GiB) / ~900 MB
    assert f"cell {ref} lies far outside the data" in stderr
    assert f"A1:{ref[:-7]}1048576" in stderr
    assert peak < 120, peak


@pytest.mark.parametrize("reader", READERS)
def test_rows_out_of_order_cannot_hide_the_stray_cell(world: Any, ok: Any, cli: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, reader: str | None) -> None:
    _reader(monkeypatch, reader)
    # a hand-made file: the far row first, the header and people after it; and a styled empty cell
    # far out (python-calamine skips it) that must not be refused
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t> </t></is></c></row>'
    rows = [xml_row(1, USER_HEADER), *(xml_row(i, p) for i, p in enumerate(PEOPLE, start=2))]
    path = raw_xlsx(tmp_path / "x.xlsx", {"Benutzer": [far, *rows]})
    r = cli("import", "run", str(path))
    assert r.exit_code == 4 and "cell XFD1048576 lies far outside the data" in " ".join(r.stderr.split())
    styled = '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    path = raw_xlsx(tmp_path / "y.xlsx", {"Benutzer": [*rows, styled]})
    assert ok("import", "run", str(path))["counts"]["users_create"] == 2


@pytest.mark.parametrize("reader", READERS)
def test_a_dense_sheet_too_large_is_refused_with_its_size(world: Any, cli: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, reader: str | None) -> None:
    _reader(monkeypatch, reader)
    cells = '<c r="A{0}"><v>1</v></c><c r="B{0}"><v>1</v></c><c r="AB{0}"><v>1</v></c>'
    rows = [xml_row(1, USER_HEADER)] + [f'<row r="{i}">' + cells.format(i) + "</row>" for i in range(2, 160_000)]
    path = raw_xlsx(tmp_path / "x.xlsx", {"Benutzer": rows})
    r = cli("import", "run", str(path))
    assert r.exit_code == 4
    assert "sheet 'Benutzer' spans A1:AB159999: 4,479,972 cells; the import reads at most 4,000,000" in (
        " ".join(r.stderr.split()))


def _rejected_workbook(path: Path, n: int) -> Path:
    """n people for Müller & Söhne, the one in the middle with a broken e-mail."""
    people = [xml_row(i, [f"Vorname{i}", "Müller", f"person{i}@mueller.example", "mueller", "member"])
              for i in range(2, n + 2)]
    people[n // 2 - 2] = xml_row(n // 2, ["Kaputt", "Müller", "kaputt-at-mueller.example", "mueller", "member"])
    return raw_xlsx(path, {"Benutzer": [xml_row(1, USER_HEADER), *people]})


@pytest.mark.parametrize("reader", [None, "rows"])
def test_rejected_100k_row_workbook_is_marked_within_the_bound(world: Any, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                reader: str | None) -> None:
    """A refused 100,000-row workbook (planned, refused, its marked copy written) stays under the bound,
    measured at 100,000 rows on the 2-core machine (2026-12-06): 237-244 MB with the default reader
    (columns: the file is over read.COLUMNAR_FROM), 160-171 MB row by row; asserted under BOUND_MB.
    Before the name caches were bounded (store/imports/checks.py): 289-306 and ~232 MB. An
    extrapolation from 10,000 and 20,000 rows, as this test once did, overstated it by a third: the
    cost per row falls as the fixed part of the process is shared by more rows. Before the marked
    copy was streamed: 471 MB."""
    from tenantctl.importers import read

    _reader(monkeypatch, reader)
    n = 100_000
    path = _rejected_workbook(tmp_path / "gross.xlsx", n)
    assert path.stat().st_size >= read.COLUMNAR_FROM  # the default reads it into columns
    code, stderr, peak = run_measured("import", "run", str(path))
    assert code == 4, stderr
    assert f"Benutzer, row {n // 2}, column E-Mail: invalid e-mail" in " ".join(stderr.split())
    assert peak < BOUND_MB, peak
    from python_calamine import CalamineWorkbook

    marked = CalamineWorkbook.from_path(str(tmp_path / "gross-fehler.xlsx")).get_sheet_by_name("Benutzer")
    rows = marked.to_python()
    assert len(rows) == n + 1 and rows[0][5] == "Fehler"
    assert rows[n // 2 - 1][2] == "kaputt-at-mueller.example" and "ungültige E-Mail-Adresse" in rows[n // 2 - 1][5]
    assert rows[n // 2 - 2][5] == "" and rows[n // 2][5] == ""


def test_the_name_caches_stay_bounded_for_distinct_names(world: Any, ctx_for: Any) -> None:
    """A file whose 20,000 names are all distinct leaves each name cache at most NAMES_CACHED
    entries (with 65,536 they held ~40 MB at a refused 100,000-row workbook's peak)."""
    from tenantctl.store.imports import checks, planning, titles
    from tenantctl.store.imports.plan import Options
    from tests.imports.test_columnar_planner import _source

    caches = [checks._slug, checks.login_base, checks._clean_name_cached, titles.without_titles]
    for cache in caches:
        cache.cache_clear()
    users = [(f"Vorname{i}", f"Nachname{i}", f"p{i}@mueller.example", "mueller", "member", None, None)
             for i in range(20_000)]
    with ctx_for() as ctx:
        plan = planning.build_plan(ctx, _source(users, None), Options(dry_run=True))
    assert plan.counts()["users_create"] == 20_000
    sizes = {c.__wrapped__.__name__: c.cache_info().currsize for c in caches}
    assert max(sizes.values()) == checks.NAMES_CACHED, sizes  # filled, and no further
