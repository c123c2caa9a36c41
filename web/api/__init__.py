"""The JSON API under /api/v1. Each area is its own module with an APIRouter; add it to ROUTERS
and it is mounted (the pages never need to change for that)."""

from __future__ import annotations

from fastapi import APIRouter

PREFIX = "/api/v1"


def routers() -> list[APIRouter]:
    from web.api import auth

    return [auth.router]


def api_router() -> APIRouter:
    root = APIRouter(prefix=PREFIX)
    for router in routers():
        root.include_router(router)
    return root
