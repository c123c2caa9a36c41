"""The minters of token-bearing mails. A mail about a password link or an invitation names its
object (`ref_type`, `ref_id`), never a token: the token is minted at delivery by the minter that
the object's service registered here when it was imported (`@minter("invitation")`). The registry
lives in store.mail so that delivery never reaches up into the services. A process that delivers
mails it did not queue itself (the worker, `mail send`, `mail retry`) imports
store/services/minters.py first, which imports every service that registers one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from tenantctl.store.errors import InvalidInput
from tenantctl.store.settings import Settings

# fn(session, ref_id, settings) → extra template variables (e.g. {"link": url}), or None when the
# object is no longer valid (used, superseded, revoked) so that the mail is not sent. A minter may
# offer `fn.preload(session, ref_ids)` to load a batch's objects in a few queries.
Minter = Callable[[Session, int, Settings], "dict[str, Any] | None"]
M = TypeVar("M", bound=Minter)

_MINTERS: dict[str, Minter] = {}


def minter(ref_type: str) -> Callable[[M], M]:
    """Register the decorated function as the minter of mails about `ref_type`."""
    def register(fn: M) -> M:
        _MINTERS[ref_type] = fn
        return fn
    return register


def minter_for(ref_type: str) -> Minter:
    try:
        return _MINTERS[ref_type]
    except KeyError:
        raise InvalidInput(f"no minter registered for mails about {ref_type!r}",
                           hint="a tenantctl bug: its service registers one with @minter (store/mail/minters.py) "
                                "and is imported by store/services/minters.py") from None


def registered() -> frozenset[str]:
    """The ref_types that have a minter in this process."""
    return frozenset(_MINTERS)
