"""The services a command calls, as `svc.tenants.list_tenants(ctx, …)`: plain modules of
`store.services` for mypy and import-linter (the imports under TYPE_CHECKING), imported on first
use at run time (the module's `__getattr__`), so that `--help` and remote mode, which build the
local call but never run it, do not load the store and SQLAlchemy (tests/cli/test_startup_and_help.py).

A service module a command needs is added to the TYPE_CHECKING imports and to `__all__`; a name missing from them is an
AttributeError, never a silent import by name."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenantctl.store.services import (
        answers,
        api_tokens,
        apps,
        audit,
        connections,
        erasure,
        invitations,
        memberships,
        outbox,
        passwords,
        personal_export,
        tenants,
        user_view,
        users,
        whoami,
    )

__all__ = ["answers", "api_tokens", "apps", "audit", "connections", "erasure", "invitations", "memberships",
           "outbox", "passwords", "personal_export", "tenants", "user_view", "users", "whoami"]
MODULES = frozenset(__all__)


if not TYPE_CHECKING:  # mypy sees only the imports above: a module missing there is an error, never Any

    def __getattr__(name: str) -> ModuleType:
        if name not in MODULES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module = importlib.import_module(f"tenantctl.store.services.{name}")
        globals()[name] = module  # the next access is a plain attribute
        return module
