"""What a desired-state document (`tenantctl apply`) says beyond its rows: which memberships and
bookings it lists, so that `--prune` can remove the others, and which users it names, for
`--send-links=missing`. The reader (importers/document/) fills it in; store/services/apply.py
uses it. Plain data: no store access, nothing heavy imported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass
class DesiredTenant:
    row: int                          # its row in the source's tenants table
    path: str                         # where it is in the document: tenants[3]
    applications: list[str] | None    # None: the document does not say (bookings left alone)


class DesiredMembership(NamedTuple):
    email: str                        # as written; compared case-insensitively
    tenant_row: int | None            # a tenant of the document (its row) …
    tenant_key: str | None            # … or one named by key (100,000 of these: a tuple each)


@dataclass
class Desired:
    tenants: list[DesiredTenant] = field(default_factory=list)
    # the (substituted, checked) document itself: memberships are read from it when --prune or
    # --send-links=missing ask, not built as 100,000 objects for every apply
    document: dict[str, Any] = field(default_factory=dict)

    def memberships(self) -> Iterator[DesiredMembership]:
        for i, t in enumerate(self.document.get("tenants") or []):
            if isinstance(t, dict):
                for u in t.get("users") or []:
                    if isinstance(u, dict):
                        yield DesiredMembership(str(u.get("email") or ""), i + 1, None)
        for u in self.document.get("users") or []:
            if isinstance(u, dict):
                for m in u.get("memberships") or []:
                    if isinstance(m, dict):
                        yield DesiredMembership(str(u.get("email") or ""), None, str(m.get("tenant") or ""))

    @property
    def emails(self) -> list[str]:
        return list(dict.fromkeys(m.email.strip().casefold() for m in self.memberships()))
