"""What the writer holds beside the plan: writing n plain new users (and their memberships) must
not build a structure per user the plan does not already hold. At 1,000,000 rows a dict per new
user (row → id, needed only for a person's further memberships) held ~100 MB beside the plan."""

from __future__ import annotations

import tracemalloc
from typing import Any

from tests.imports.test_columnar_planner import _source

N = 20_000


def _written_peak(ctx_for: Any, users: list[tuple[str | None, ...]]) -> tuple[int, dict[str, int]]:
    """(traced peak bytes while the plan is written, the plan's counts)."""
    from tenantctl.store.imports import planning, write
    from tenantctl.store.imports.plan import Options

    with ctx_for() as ctx:
        source = _source(users, None)
        plan = planning.build_plan(ctx, source, Options())
        tracemalloc.start()
        try:
            write.execute(ctx, plan, source=source, digest="0" * 64, opts=Options(), rows="changed", rows_limit=10)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return peak, plan.counts()


def test_writing_new_users_holds_no_structure_per_user(world: Any, ctx_for: Any, db_rows: Any) -> None:
    users = [("Anna", f"Neu{i}", f"anna.neu{i}@mueller.example", "mueller", "member", None, None) for i in range(N)]
    peak, counts = _written_peak(ctx_for, users)
    assert counts["users_create"] == N
    assert db_rows("SELECT count(*) FROM user_account WHERE email LIKE 'anna.neu%'") == [(N,)]
    # measured: 61 bytes a user (the lists of the new rows and their payloads, the insert's own
    # transients); a dict of the new users' rows and their ids made it 122
    assert peak / N < 90, f"{peak / N:.0f} bytes held per new user while writing"


def test_a_further_membership_still_finds_its_new_user(world: Any, ctx_for: Any, db_rows: Any) -> None:
    users = [("Anna", "Neu", "anna.neu@mueller.example", "mueller", "member", None, None),
             ("Anna", "Neu", "anna.neu@mueller.example", "other", "admin", None, None)]
    _, counts = _written_peak(ctx_for, users)
    assert counts["users_create"] == 1 and counts["memberships_create"] == 1
    assert db_rows("SELECT t.key, m.role FROM membership m JOIN tenant t ON t.id = m.tenant_id JOIN user_account u "
               "ON u.id = m.user_id WHERE u.email = 'anna.neu@mueller.example' ORDER BY t.key") == [
        ("mueller", "member"), ("other", "admin")]


def test_a_new_user_s_changes_are_one_small_shared_read_only_mapping(world: Any, ctx_for: Any) -> None:
    """What a new user's row changes is shown as {"tenant": [None, key], "role": [None, role]}; the
    rows of one tenant and role share one read-only object of two slots (a dict with two lists behind
    a proxy took ~350 bytes: 73 MB for 100,000 tenants in two roles at 1,000,000 rows)."""
    import gc
    import sys

    from tenantctl.store.imports import planning
    from tenantctl.store.imports.plan import Options

    users = [("Anna", f"Neu{i}", f"anna.neu{i}@mueller.example", "mueller", "admin" if i % 2 else "member",
              None, None) for i in range(6)]
    with ctx_for() as ctx:
        plan = planning.build_plan(ctx, _source(users, None), Options(dry_run=True))
    rows = plan.users
    assert [r.out()["changes"] for r in rows[:2]] == [{"tenant": [None, "mueller"], "role": [None, "member"]},
                                                      {"tenant": [None, "mueller"], "role": [None, "admin"]}]
    assert rows[0].changes is rows[2].changes is rows[4].changes and rows[1].changes is rows[3].changes
    assert rows[0].changes == {"tenant": [None, "mueller"], "role": [None, "member"]}
    try:
        rows[0].changes["role"] = [None, "admin"]  # type: ignore[index]
    except TypeError:
        pass
    else:
        raise AssertionError("a shared changes mapping must be read-only")
    held = sys.getsizeof(rows[0].changes) + sum(
        sys.getsizeof(o) for o in gc.get_referents(rows[0].changes) if not isinstance(o, (str, type)))
    assert held <= 64, held
