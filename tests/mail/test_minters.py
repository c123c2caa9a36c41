"""The minters of token-bearing mails live in a registry below the services (store/mail/minters.py):
every ref_type a service queues has one, and the processes that deliver mails other processes
queued (the worker, `mail send`) have them all without having queued anything themselves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tenantctl.store.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]


def _queued_ref_types() -> set[str]:
    """Every ref_type literal the store's code queues a mail with."""
    found: set[str] = set()
    for path in (ROOT / "store").rglob("*.py"):
        found.update(re.findall(r"""["']?ref_type["']?\s*[:=]\s*["'](\w+)["']""", path.read_text(encoding="utf-8")))
    return found


def test_every_queued_ref_type_has_its_minter() -> None:
    from tenantctl.store.mail.minters import minter_for, registered
    from tenantctl.store.services.minters import MINTED

    queued = _queued_ref_types()
    assert queued == {"password_link", "invitation"}  # a new kind of token mail: add it to MINTED
    assert set(MINTED) == queued and registered() >= queued
    for ref_type, fn in MINTED.items():
        assert minter_for(ref_type) is fn


def test_an_unknown_ref_type_is_a_clear_error() -> None:
    from tenantctl.store.mail.minters import minter_for

    with pytest.raises(InvalidInput) as exc:
        minter_for("parcel")
    assert exc.value.message == "no minter registered for mails about 'parcel'"
    assert "store/services/minters.py" in (exc.value.hint or "")


WORKER = "import tenantctl.store.worker"
# `mail send`/`mail retry` take their delivery hook from cli/commands/mail.py's delivery(); with no
# store at hand it fails after its imports, which are what is looked at here
MAIL_SEND = """
import types
from tenantctl.cli.commands import mail
try:
    mail.delivery(types.SimpleNamespace(after_commit=[], settings=None, session=None), None)
except AttributeError:
    pass
"""


@pytest.mark.parametrize("entry", [WORKER, MAIL_SEND], ids=["worker", "mail-send"])
def test_a_delivering_process_registers_every_minter(entry: str) -> None:
    """A fresh interpreter, as `tenantctl worker` or `mail send` starts: nothing else of the services
    is imported first, yet every minter is registered."""
    code = entry + "\nfrom tenantctl.store.mail.minters import registered\nprint(','.join(sorted(registered())))\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "invitation,password_link"
