"""The engine sits below the services: it queues a run's password links through the sender its
caller passes (store/services/import_links.py). A caller that asks for links without giving one is
a bug, said before anything is planned or recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def test_send_links_without_a_sender_is_refused_before_anything_is_recorded(world: Any, ctx_for: Any,
                                                                           db_rows: Any) -> None:
    from tenantctl.store.imports import engine
    from tenantctl.store.imports.rows import Source

    with ctx_for() as ctx, pytest.raises(TypeError, match=r"opts.send_links needs links="):
        engine.run(ctx, Source(path=Path("a.csv"), file_type="csv"), engine.Options(send_links=True), digest="0" * 64)
    assert db_rows("SELECT count(*) FROM import_run") == [(0,)]
