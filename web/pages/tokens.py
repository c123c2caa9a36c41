"""A link's token leaves the address bar at once: the GET that carries it checks it (without
using it), keeps it in a short-lived HttpOnly, SameSite=Strict cookie scoped to the page's path
and forwards to the same path without the token. So it never reaches the browser history of the
page, a Referer, or an access log after the first request.

The forward is a same-origin refresh page rather than a 303: a link clicked in a webmail is a
cross-site navigation, and browsers do not send SameSite=Strict cookies on a redirect that
started cross-site; a navigation started by our own page is same-site, so the cookie arrives."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from tenantctl.web.pages import forms, render

LIFETIME = 30 * 60  # seconds the browser keeps a link's token; the link itself may live longer


def keep_and_forward(request: Request, *, cookie: str, path: str, token: str, language: str,
                     reseller: str | None) -> HTMLResponse:
    response = render(request, "continue.html", language=language, reseller=reseller, target=path)
    response.headers["Refresh"] = f"0; url={path}"
    forms.set_cookie(request, response, cookie, token, max_age=LIFETIME, path=path)
    return response


def forget(request: Request, response: Response, *, cookie: str, path: str) -> None:
    response.delete_cookie(cookie, path=path, secure=forms.secure(request), httponly=True, samesite="strict")
