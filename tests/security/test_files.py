"""Files the tool creates are 0600 in 0700 folders whatever the umask; a failed outbox write leaves
no partial file; exports, templates and reports fail with one clear line."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tenantctl.store.models import OutboxMail
from tests.imports.conftest import TENANT_HEADER, write_xlsx

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most careless umask: everything would be world-readable and -writable."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_init_creates_home_and_store_private(cli: Any, tmp_path: Path, open_umask: None) -> None:
    home = tmp_path / "home"
    assert cli("init", "--json").exit_code == 0
    assert mode(home) == 0o700
    files = [p for p in home.iterdir() if p.name.startswith("tenantctl.db")]
    assert {p.name for p in files} >= {"tenantctl.db"}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}  # -wal and -shm too


def test_outbox_mails_are_private(world: Any, ok: Any, tmp_path: Path, open_umask: None) -> None:
    ok("password", "send-link", "max.mueller")
    outbox = tmp_path / "home" / "outbox"
    mails = list(outbox.iterdir())
    assert len(mails) == 1 and mails[0].suffix == ".eml"
    assert mode(outbox) == 0o700 and mode(mails[0]) == 0o600


def test_exports_template_and_report_are_private(world: Any, ok: Any, cli: Any, tmp_path: Path,
                                                 open_umask: None) -> None:
    written = []
    for name in ("k.xlsx", "k.json", "k.csv"):
        written += ok("export", str(tmp_path / name))["files"]
    written.append(ok("import", "template", str(tmp_path / "t.xlsx"))["file"])
    bad = write_xlsx(tmp_path / "bad.xlsx", {"Mandanten": [TENANT_HEADER, [None, "X GmbH", "nonsense", "acme"]]})
    r = cli("import", "run", str(bad), "--json")
    assert r.exit_code == 4
    written.append(r.json()["error"]["details"]["report"])
    assert len(written) == 6
    assert {p: mode(Path(p)) for p in written} == {p: 0o600 for p in written}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_failed_outbox_write_removes_its_partial_file(world: Any, ok: Any, cli: Any, store: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import tenantctl.store.files as files

    real_fdopen = os.fdopen

    class DiskFull:
        """Writes half of the mail, then fails as a full disk does."""

        def __init__(self, fd: int, *a: Any, **kw: Any) -> None:
            self.fh = real_fdopen(fd, *a, **kw)

        def __enter__(self) -> DiskFull:
            return self

        def __exit__(self, *exc: Any) -> None:
            self.fh.close()

        def fileno(self) -> int:
            return int(self.fh.fileno())

        def write(self, data: bytes) -> int:
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise OSError(28, "No space left on device")

        def flush(self) -> None:
            self.fh.flush()

    monkeypatch.setattr(files.os, "fdopen", DiskFull)
    r = cli("password", "send-link", "max.mueller", "--json")
    assert r.exit_code == 6, r.stdout  # the link is committed, its mail stays queued: reported, not an error
    assert r.json()["data"]["links"][0]["mailed"] is True
    assert "No space left on device" in r.json()["data"]["delivery"]["unreachable"]
    outbox = tmp_path / "home" / "outbox"
    assert list(outbox.iterdir()) == []  # no .tmp with a live token left behind
    with store.transaction(write=False) as s:
        assert [m.state for m in s.exec(select(OutboxMail))] == ["queued"]
    monkeypatch.setattr(files.os, "fdopen", real_fdopen)
    # the next delivery writes a whole mail, and only .eml files ever appear in the folder
    mail = ok("mail", "list")[0]
    ok("mail", "retry", str(mail["id"]))
    assert [p.suffix for p in outbox.iterdir()] == [".eml"]


def test_export_and_template_into_a_missing_folder(world: Any, cli: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    for args in (("export", str(missing / "k.xlsx")), ("export", str(missing / "k.csv")),
                 ("import", "template", str(missing / "t.xlsx"))):
        r = cli(*args, "--json")
        assert r.exit_code == 4, (args, r.stdout)
        err = r.json()["error"]
        assert f"the folder {missing} does not exist" in err["message"] and "create the folder" in err["hint"]
    assert not missing.exists()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # openpyxl, never saved
def test_rejected_import_in_a_read_only_folder_still_shows_the_problems(
        world: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tenantctl.importers.write as write

    folder = tmp_path / "uploads"
    folder.mkdir()
    bad = write_xlsx(folder / "bad.xlsx", {"Mandanten": [TENANT_HEADER, [None, "X GmbH", "nonsense", "acme"]]})

    def read_only(path: Path, *_: Any, **__: Any) -> None:
        raise PermissionError(13, "Permission denied", str(path))  # as a read-only folder answers non-root users

    monkeypatch.setattr(write, "write_private", read_only)
    r = cli("import", "run", str(bad), "--json")
    assert r.exit_code == 4
    err = r.json()["error"]
    assert err["details"]["report"] is None
    assert "Art" in [p["column"] for p in err["details"]["problems"]]
    assert "no marked copy: cannot write" in err["message"] and "Permission denied" in err["message"]
    r = cli("import", "run", str(bad))
    assert r.exit_code == 4
    assert "Mandanten, row 2, column Art" in r.stderr and "no marked copy" in r.stderr


@pytest.mark.skipif(os.name == "posix" and os.geteuid() == 0, reason="root writes into read-only folders")
def test_rejected_import_in_a_really_read_only_folder(world: Any, cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    bad = write_xlsx(folder / "bad.xlsx", {"Mandanten": [TENANT_HEADER, [None, "X GmbH", "nonsense", "acme"]]})
    folder.chmod(0o500)
    try:
        r = cli("import", "run", str(bad), "--json")
    finally:
        folder.chmod(0o700)
    assert r.exit_code == 4 and r.json()["error"]["details"]["problems"]


# -- targets that are not plain files: written in place or refused, never renamed over ------------

def test_export_to_a_fifo_writes_into_it_and_leaves_it_a_fifo(world: Any, cli: Any, tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o644)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = cli("export", "-o", "yaml", str(fifo))
    reader.join(10)
    assert r.exit_code == 0, r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and mode(fifo) == 0o644  # still the reader's pipe
    assert b"version: 1" in got[0] and b"mueller" in got[0]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_export_to_dev_null_keeps_the_device(world: Any, cli: Any) -> None:
    before = os.stat("/dev/null")
    r = cli("export", "-o", "json", "/dev/null")
    assert r.exit_code == 0, r.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_export_to_stdout_redirected_to_a_file_writes_through_the_stream(world: Any, cli: Any,
                                                                         tmp_path: Path) -> None:
    """/dev/stdout is a symlink into /proc (here: a link to /proc/self/fd/N of a file the shell
    opened); it is the process's stream, written in place, never replaced by a regular file."""
    redirected = tmp_path / "out.json"
    fd = os.open(redirected, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stdout = tmp_path / "stdout"
    stdout.symlink_to(f"/proc/self/fd/{fd}")
    try:
        r = cli("export", "-o", "json", str(stdout))
    finally:
        os.close(fd)
    assert r.exit_code == 0, r.stderr
    assert os.path.islink(stdout)  # the link is still the link
    assert '"version": 1' in redirected.read_text()


def test_export_over_a_planted_symlink_replaces_the_link_not_its_target(world: Any, cli: Any,
                                                                        tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    planted = tmp_path / "setup.yaml"
    planted.symlink_to(victim)
    r = cli("export", "-o", "yaml", str(planted))  # an existing name: refused without --force
    assert r.exit_code == 4 and "exists already" in r.stderr
    assert victim.read_text() == "keep me\n" and planted.is_symlink()
    r = cli("export", "-o", "yaml", str(planted), "--force")
    assert r.exit_code == 0, r.stderr
    assert victim.read_text() == "keep me\n"
    assert not planted.is_symlink() and "version: 1" in planted.read_text() and mode(planted) == 0o600


def test_export_onto_a_folder_or_a_link_to_one_is_refused_in_one_line(world: Any, cli: Any,
                                                                      tmp_path: Path) -> None:
    folder = tmp_path / "out.yaml"
    folder.mkdir()
    link = tmp_path / "link.json"
    link.symlink_to(folder)
    for target, args in ((folder, ("-o", "yaml")), (link, ("-o", "json")), (link, ())):
        r = cli("export", *args, str(target), "--json")
        assert r.exit_code == 4, r.stdout
        err = r.json()["error"]
        assert err["message"] == f"cannot write {target}: it is a folder; name a file", err
    assert folder.is_dir() and link.is_symlink() and list(folder.iterdir()) == []
