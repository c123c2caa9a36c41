"""/api/v1/apply: `tenantctl apply -f FILE` over HTTP.

The document is the request body (YAML or JSON, UTF-8), with its variables already substituted by
the caller (`tenantctl apply` in remote mode does so): the server substitutes none, since its own
environment must never reach the store. The same service as the CLI plans and applies it, in the
caller's scope; a refusal lists every problem with its document path."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from tenantctl.store import verbs
from tenantctl.web.api.common import MAX_INT, JSONEnvelope, ok, route, transaction

router = APIRouter(prefix="/apply", tags=["apply"])
MAX_BYTES = 50 * 1024 * 1024  # as `apply -f` reads at most (importers/document/reading.py; a test keeps them equal)


@route(router, verbs.APPLY, summary="Apply a YAML/JSON document (the request body): dry_run plans, prune removes",
       openapi_extra={"requestBody": {"required": True, "content": {
           "application/yaml": {"schema": {"type": "string"}},
           "application/json": {"schema": {"type": "object"}}}}})
async def apply(request: Request, name: str = Query("-", description="the document's file name, recorded with "
                                                                      "the run (- for stdin)",
                                                    examples=["setup.yaml"]),
                dry_run: bool = False, prune: bool = False,
                send_links: Literal["new", "missing"] | None = None,
                rows_limit: int | None = Query(None, ge=0, le=MAX_INT,
                                               description="changes listed at most (all without)"),
                ) -> JSONEnvelope:
    body = await request.body()  # bounded by ApiBodyLimit: as `apply -f` reads at most
    return await run_in_threadpool(_apply, request, body, name, dry_run, prune, send_links, rows_limit)


def _apply(request: Request, body: bytes, name: str, dry_run: bool, prune: bool, send_links: str | None,
           rows_limit: int | None) -> JSONEnvelope:
    from tenantctl.importers import document
    from tenantctl.store.errors import InvalidInput
    from tenantctl.store.services import apply as service
    from tenantctl.store.services import ingest

    name = name.replace("/", "_").replace("\\", "_").replace("\x00", "") or "-"  # a name, never a path
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{document.shown(name)} is not UTF-8 (byte {exc.start})",
                           hint="save the file as UTF-8") from None
    if not text.strip():
        raise InvalidInput(f"{document.shown(name)} is empty", hint="send the document as the request body")
    doc = document.load(text, name, variables=False)
    del text
    opts = service.ApplyOptions(dry_run=dry_run, prune=prune, send_links=send_links)
    job = ingest.DocumentApply(doc.source, doc.desired, doc.digest, document.shown(name), opts, rows_limit)
    # a dry-run writes in a savepoint it rolls back: a read-only token may ask for one; a refusal
    # (ingest.Refused) is the invalid_input answer with every problem, the refused run recorded
    return ok(ingest.run(lambda: transaction(request, write=True, changes=not dry_run), job).data)
