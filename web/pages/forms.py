"""CSRF protection for every form: a random token in an HttpOnly, SameSite=Strict cookie and the
same token in a hidden field (double submit); a POST whose field does not match is refused
before any work is done."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from tenantctl.store.errors import PermissionDenied

CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"


class CsrfRefused(PermissionDenied):
    code = "csrf"

    def __init__(self) -> None:
        super().__init__("the form's security token is missing or wrong", hint="reload the page and send again",
                         details={"reason": "csrf"})


def secure(request: Request) -> bool:
    """Cookies are Secure whenever the browser talks TLS (directly or to the trusted proxy)."""
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None,
               path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, secure=secure(request), httponly=True,
                        samesite="strict")


def csrf_token(request: Request) -> str:
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) == 43 and existing.replace("-", "").replace("_", "").isalnum():
        return existing
    cached = getattr(request.state, "csrf_new", None)
    if cached is None:
        cached = request.state.csrf_new = secrets.token_urlsafe(32)
    return str(cached)


def keep_csrf_cookie(request: Request, response: Response, token: str) -> None:
    if request.cookies.get(CSRF_COOKIE) != token:
        set_cookie(request, response, CSRF_COOKIE, token, max_age=None)


def check_csrf(request: Request, form: Any) -> None:
    sent = str(form.get(CSRF_FIELD) or "")
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not sent or not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise CsrfRefused()
