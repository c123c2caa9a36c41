"""The fast lane of the user rows: a row that can only become a plain new user (its e-mail valid,
named by no stored user and by no other row, every cell's rule passed for its distinct value, a
tenant without a problem, no access cell) is found by looking its cells up in the rules' results
per distinct value, and planned without asking any rule again. Every other row keeps the full
row-by-row path; both lanes run in row order, so logins are allocated exactly as before."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from itertools import compress
from operator import not_
from typing import Any

from tenantctl.store.enums import Role
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.checks import CHUNK, NAMES_CACHED, Handles, login_base
from tenantctl.store.imports.plan import Joins, NewUser, Progress, RowPlan
from tenantctl.store.imports.user_targets import Target

Targets = Mapping[str | None, tuple[Target | None, str | None]]
BaseOf = dict[tuple[Any, Any], str | None]  # (first name cell, last name cell) → the login base its rows ask for


def plain_rows(cells: Mapping[str, list[Any]], ekeys: list[str | None], existing: Mapping[str, Any],
               first_ok: Mapping[Any, Any], last_ok: Mapping[Any, Any], role_ok: Mapping[Any, Any],
               lang_ok: Mapping[Any, Any], targets: Targets) -> list[bool]:
    """By position: whether the row is a plain new user (see the module's doc). A repeated e-mail
    key stays out in every row: its first row is the person later rows refer to."""
    counts = Counter(ekeys)
    firsts = {v for v, clean in first_ok.items() if clean}
    lasts = {v for v, clean in last_ok.items() if clean}
    tenants = {tref for tref, (t, error) in targets.items()
               if error is None and t is not None and not t.errors and not t.unmanaged}
    return [key is not None and counts[key] == 1 and key not in existing and first in firsts and last in lasts
            and role in role_ok and lang in lang_ok and tref in tenants and not acc
            for key, first, last, role, lang, tref, acc in zip(
                ekeys, cells["first_name"], cells["last_name"], cells["role"], cells["language"], cells["tenant"],
                cells["access"], strict=True)]


class NewUsers:
    """Plans the fast lane's rows: what `_plan_row` gives such a row, without its checks."""

    def __init__(self, sheet: str, h_first: str, logins: Handles, first_ok: Mapping[Any, Any],
                 last_ok: Mapping[Any, Any], role_ok: Mapping[Any, Any], lang_ok: Mapping[Any, Any],
                 targets: Targets, create_changes: dict[tuple[str | None, str], Any]) -> None:
        self.sheet, self.h_first, self.logins = sheet, h_first, logins
        self.first_ok, self.last_ok, self.role_ok, self.lang_ok = first_ok, last_ok, role_ok, lang_ok
        self.targets, self.create_changes = targets, create_changes
        # per tenant reference: (tenant id, its row in the file, its language, its key)
        self.where: dict[str | None, tuple[int | None, int | None, str, str | None]] = {}

    def rows(self, fast: list[bool], cells: Mapping[str, list[Any]], emails: list[Any], ekeys: list[Any],
             slow: Callable[[int], RowPlan], progress: Progress | None) -> Iterator[RowPlan]:
        """Every row's plan in row order: a fast row planned here, any other by `slow` (its position)."""
        sheet, allocate, first_ok, last_ok, role_ok, lang_ok = (self.sheet, self.logins.allocate, self.first_ok,
                                                                self.last_ok, self.role_ok, self.lang_ok)
        where, member, changes = self.where, Role.member, self.create_changes
        base_of, ones, series = self._settled(fast, cells)
        total = len(fast)
        for k, (is_fast, rownum, first_raw, last_raw, role_raw, lang_raw, tref) in enumerate(zip(
                fast, cells["_row"], cells["first_name"], cells["last_name"], cells["role"], cells["language"],
                cells["tenant"], strict=True)):
            if progress and k % 10_000 == 0:
                progress("checking users", k, total)
            if not is_fast:
                yield slow(k)
                continue
            base = base_of[first_raw, last_raw] if base_of is not None else None
            login = base if base in ones else (take() if (take := series.get(base)) is not None else None)
            p = RowPlan(sheet, rownum, "user", login, emails[k])
            first, last = first_ok[first_raw], last_ok[last_raw]
            if login is None:
                try:  # no base: login_base says why (a reserved login), as `check` says it
                    p.key = allocate(base if base is not None else login_base(first, last))
                except Exception as exc:
                    if not hasattr(exc, "message"):
                        raise
                    p.error(self.h_first, exc.message)
            role = role_ok[role_raw] or member
            tenant_id, file_row, language, tenant_key = where.get(tref) or self._where(tref)
            p.values = NewUser(p.key, p.label, ekeys[k], first, last, lang_ok[lang_raw] or language, tenant_id,
                               file_row, role, ())
            if p.action != "error":
                p.action = "create"
                # read-only, so the users of one tenant and role share one (with the row-by-row lane)
                p.changes = changes.get((tenant_key, role)) or changes.setdefault(
                    (tenant_key, role), Joins(tenant_key, role))
            yield p

    def _settled(self, fast: list[bool], cells: Mapping[str, list[Any]]
                 ) -> tuple[BaseOf | None, AbstractSet[str | None], dict[str | None, Callable[[], str]]]:
        """Per pair of name cells, the login base its rows may ask for (the names as the row-by-row
        lane takes them: the rules' result per distinct value, a cell missing there failed the name
        rule); and of the bases only fast rows ask for (every row counted), those handed out at once
        (Handles.settle): the ones that are their row's login, and the next login of the others.
        None when the pairs hardly repeat: held per pair they would be held per row, and each row asks
        in its turn (the name caches are bounded alike, checks.NAMES_CACHED)."""
        first_ok, last_ok = self.first_ok, self.last_ok
        firsts, lasts = cells["first_name"], cells["last_name"]
        pairs: set[tuple[Any, Any]] = set()
        for at in range(0, len(firsts), CHUNK):  # a few thousand at a time: no set of 100,000 pairs
            pairs.update(zip(firsts[at:at + CHUNK], lasts[at:at + CHUNK], strict=True))
            if len(pairs) > NAMES_CACHED:
                return None, set(), {}
        base_of: BaseOf = {}
        for pair in pairs:
            first, last = first_ok.get(pair[0]), last_ok.get(pair[1])
            try:
                base_of[pair] = login_base(first, last) if first and last else None
            except InvalidInput:  # a reserved login: said on the row, which asks for none
                base_of[pair] = None

        def bases(rows: Iterable[Any]) -> Iterator[str | None]:  # of the rows `rows` selects, no list per row
            return map(base_of.__getitem__, compress(zip(firsts, lasts, strict=True), rows))

        others = set(bases(map(not_, fast)))
        wanted = Counter(bases(fast))
        others.discard(None)
        wanted.pop(None, None)
        ones, series = self.logins.settle(wanted, others, len(fast))  # type: ignore[arg-type]
        return base_of, ones, {b: iter(logins).__next__ for b, logins in series.items()}

    def _where(self, tref: str | None) -> tuple[int | None, int | None, str, str | None]:
        target = self.targets[tref][0]
        assert target is not None  # plain_rows took only rows with a target
        file_row = target.ref[1] if target.ref[0] == "file" else None
        where = self.where[tref] = (target.tenant_id, file_row, target.language, target.tenant_key)
        return where

