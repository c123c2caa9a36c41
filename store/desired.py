"""What a desired-state document (`tenantctl apply`) says beyond its rows: which memberships and
bookings it lists, so that `--prune` can remove the others, and which users it names, for
`--send-links=missing`. The reader (importers/document.py) fills it in; store/services/apply.py
uses it. Plain data: no store access, nothing heavy imported."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DesiredTenant:
    row: int                          # its row in the source's tenants table
    path: str                         # where it is in the document: tenants[3]
    applications: list[str] | None    # None: the document does not say (bookings left alone)


@dataclass
class DesiredMembership:
    email: str                        # as written; compared case-insensitively
    path: str                         # tenants[3].users[1] or users[0].memberships[2]
    tenant_row: int | None = None     # a tenant of the document (its row) …
    tenant_key: str | None = None     # … or one named by key


@dataclass
class Desired:
    tenants: list[DesiredTenant] = field(default_factory=list)
    memberships: list[DesiredMembership] = field(default_factory=list)

    @property
    def emails(self) -> list[str]:
        return list(dict.fromkeys(m.email.strip().casefold() for m in self.memberships))
