"""/api/v1/imports: `tenantctl import run | list | show | undo` over HTTP.

An upload is the file itself as the request body (`curl --data-binary @kunden.xlsx`), streamed to
a private temporary file; a body over the importer's limit is refused (413) before it is read
whole (see BodyLimit). The same engine as the CLI plans and writes it."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tenantctl.store import verbs
from tenantctl.web.api.common import (
    LIMIT,
    MAX_INT,
    OFFSET,
    Id,
    JSONEnvelope,
    TooLarge,
    limit_of,
    ok,
    route,
    transaction,
)

router = APIRouter(prefix="/imports", tags=["imports"])
SUFFIXES = {".xlsx", ".xlsm", ".csv", ".txt"}


async def _spool(request: Request, name: str) -> Path:
    """The body into a private folder under the uploaded name (the run records the file's name)."""
    from tenantctl.web.runtime import runtime_of

    limit = int(runtime_of(request).settings.import_max_mb) * 1_000_000
    path = Path(tempfile.mkdtemp(prefix="tenantctl-upload-")) / name
    size = 0
    try:
        with path.open("xb") as fh:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:  # BodyLimit stops it first; this keeps the file bounded on its own
                    raise TooLarge(f"{name} is larger than {limit // 1_000_000} MB; the import reads at most "
                                   f"{limit // 1_000_000} MB", hint="split the file, or raise import_max_mb")
                fh.write(chunk)
    except BaseException:
        _discard(path)
        raise
    return path


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.rmdir(path.parent)


@route(router, verbs.IMPORT_RUN,
       summary="Import an .xlsx/.csv file (the request body): dry_run plans, otherwise writes",
       openapi_extra={"requestBody": {"required": True, "content": {
           "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def run(request: Request, filename: str = Query(..., examples=["kunden.xlsx"]), dry_run: bool = False,
              mode: Literal["upsert", "create"] = "upsert", skip_invalid: bool = False, send_links: bool = False,
              reseller: str | None = None, sheet: str | None = None, map: list[str] | None = Query(None),
              encoding: str | None = None, header_row: int | None = Query(None, ge=1, le=MAX_INT),
              layout: Literal["auto", "flat", "tables"] = "auto", rows: Literal["all", "changed"] = "all",
              rows_limit: int | None = Query(None, ge=0, le=MAX_INT), trust_names: bool = False) -> JSONEnvelope:
    from tenantctl.store.errors import InvalidInput

    name = Path(filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES or "\x00" in name:
        raise InvalidInput(f"cannot import {name!r}: only .xlsx and .csv files", hint="save the sheet as .xlsx or .csv")
    started = time.monotonic()
    path = await _spool(request, name)
    try:
        return await run_in_threadpool(_run, request, path, name, started, dry_run=dry_run, mode=mode,
                                       skip_invalid=skip_invalid, send_links=send_links, reseller=reseller,
                                       sheet=sheet, maps=map, encoding=encoding, header_row=header_row,
                                       layout=layout, rows=rows, rows_limit=rows_limit, trust_names=trust_names)
    finally:
        _discard(path)


def _run(request: Request, path: Path, name: str, started: float, *, dry_run: bool, mode: str,
         skip_invalid: bool, send_links: bool, reseller: str | None, sheet: str | None, maps: list[str] | None,
         encoding: str | None, header_row: int | None, layout: str, rows: str,
         rows_limit: int | None, trust_names: bool) -> JSONEnvelope:
    from tenantctl.importers import read as reader
    from tenantctl.store.imports import engine
    from tenantctl.store.services import ingest
    from tenantctl.web.runtime import runtime_of

    settings = runtime_of(request).settings
    source = reader.load(path, sheet=sheet, maps=maps, encoding=encoding, max_mb=int(settings.import_max_mb),
                         header_row=header_row, layout=layout, trust_names=trust_names).source()
    opts = engine.Options(mode=mode, skip_invalid=skip_invalid, dry_run=dry_run, reseller=reseller,
                          send_links=send_links)
    job = ingest.FileImport(source, reader.file_hash(path), name, opts, round(time.monotonic() - started, 2),
                            rows=rows, rows_limit=rows_limit)
    # a dry-run plans and writes in a savepoint it rolls back: a read-only token may ask for one; a
    # refusal (ingest.Refused) is the invalid_input answer with every problem, the run recorded
    ran = ingest.run(lambda: transaction(request, write=True, changes=not dry_run), job)
    # how the file was read and the plan's notes, apart: the CLI prints them as a local run does
    return ok({**ran.data, "read_notes": list(source.notes), "plan_notes": ran.plan_notes})


@route(router, verbs.IMPORT_LIST, summary="Import runs, newest first")
def list_(request: Request, limit: int = LIMIT, offset: int = OFFSET) -> JSONEnvelope:
    from tenantctl.store.imports import runs

    with transaction(request, write=False) as ctx:
        items, total = runs.list_runs(ctx, limit_of(limit), offset)
    return ok(items, meta={"total": total, "limit": limit_of(limit), "offset": offset})


@route(router, verbs.IMPORT_SHOW, summary="One import run: counts, problems, what it created and changed")
def show(request: Request, run_id: Id) -> JSONEnvelope:
    from tenantctl.store.imports import runs

    with transaction(request, write=False) as ctx:
        data = runs.show_run(ctx, run_id)
    return ok(data)


@route(router, verbs.IMPORT_UNDO, summary="Undo a run (refused where later changes would be lost); dry_run: "
                                          "what it would remove and restore, nothing changed")
def undo(request: Request, run_id: Id, dry_run: bool = False) -> JSONEnvelope:
    from tenantctl.store.imports import runs

    with transaction(request, write=not dry_run) as ctx:
        data = runs.undo_run(ctx, run_id, dry_run=dry_run)
    return ok(data)
