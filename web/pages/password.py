"""Set a password through a link (/password/set) and ask for a new link (/password/forgot)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tenantctl.store.errors import InvalidInput
from tenantctl.web import i18n, refusals
from tenantctl.web.errors import TooManyRequests
from tenantctl.web.pages import forms, render, tokens
from tenantctl.web.runtime import runtime_of
from tenantctl.web.security import client_of

router = APIRouter(include_in_schema=False)

SET_PATH = "/password/set"
FORGOT_PATH = "/password/forgot"
COOKIE = "password_link"
FORGOT_MIN_SECONDS = 0.25


def _rules() -> dict[str, int]:
    from tenantctl.store.services.selfservice import password_rules

    return password_rules()


def _invalid(request: Request, status: int = 410) -> HTMLResponse:
    response = render(request, "link_invalid.html", status=status)
    tokens.forget(request, response, cookie=COOKIE, path=SET_PATH)
    return response


def _form(request: Request, info: dict[str, Any], *, status: int = 200,
          errors: dict[str, str] | None = None) -> HTMLResponse:
    from tenantctl.web.pages.dates import format_time

    lang = i18n.choose(request, info["language"])  # ?lang= switches the expiry's wording too
    return render(request, "password_set.html", language=lang, status=status, reseller=info["reseller"], info=info,
                  expires=format_time(info["expires_at"], lang, runtime_of(request).settings, info["time_zone"]),
                  rules=_rules(), errors=errors or {})


def _look(request: Request, token: str) -> dict[str, Any]:
    from tenantctl.store.services import selfservice

    with runtime_of(request).transaction(request, write=False) as ctx:
        return selfservice.password_link(ctx, token)


@router.get(SET_PATH, response_class=HTMLResponse)
def set_page(request: Request, token: str | None = None) -> Response:
    from tenantctl.store.services.passwords import InvalidLink

    request.app.state.limits.token_client.hit(client_of(request))
    if token is not None:
        try:
            info = _look(request, token)
        except InvalidLink:
            return _invalid(request)
        return tokens.keep_and_forward(request, cookie=COOKIE, path=SET_PATH, token=token,
                                       language=info["language"], reseller=info["reseller"])
    kept = request.cookies.get(COOKIE)
    if not kept:
        return _invalid(request)
    try:
        return _form(request, _look(request, kept))
    except InvalidLink:
        return _invalid(request)


@router.post(SET_PATH, response_class=HTMLResponse)
async def set_password(request: Request) -> Response:
    from anyio import to_thread

    form = await request.form()
    forms.check_csrf(request, form)
    return await to_thread.run_sync(_set_password, request, str(form.get("password") or ""),
                                    str(form.get("password_confirm") or ""))


def _set_password(request: Request, password: str, confirm: str) -> Response:
    from tenantctl.store.services import passwords
    from tenantctl.store.services.passwords import InvalidLink

    request.app.state.limits.token_client.hit(client_of(request))
    token = request.cookies.get(COOKIE)
    if not token:
        return _invalid(request)
    try:
        info = _look(request, token)
    except InvalidLink:
        return _invalid(request)
    lang = i18n.choose(request, info["language"])
    t = i18n.texts(lang)
    if password != confirm:
        return _form(request, info, status=422, errors={"password_confirm": t["set_mismatch"]})
    try:
        with runtime_of(request).transaction(request) as ctx:
            passwords.redeem(ctx, token, password)
    except InvalidLink:
        return _invalid(request)
    except InvalidInput as err:
        return _form(request, info, status=422, errors={"password": refusals.message(err, lang)})
    response = render(request, "password_done.html", language=lang, reseller=info["reseller"],
                      info=info)
    tokens.forget(request, response, cookie=COOKIE, path=SET_PATH)
    return response


@router.get(FORGOT_PATH, response_class=HTMLResponse)
def forgot_page(request: Request) -> Response:
    return render(request, "password_forgot.html", errors={}, ident="")


@router.post(FORGOT_PATH, response_class=HTMLResponse)
async def forgot(request: Request) -> Response:
    from anyio import to_thread

    form = await request.form()
    forms.check_csrf(request, form)
    return await to_thread.run_sync(_forgot, request, str(form.get("ident") or "").strip())


def _forgot(request: Request, ident: str) -> Response:
    """OWASP Forgot Password: the same answer whether or not the account exists; limited per client
    (429) and per person (silently: the answer stays the same, no further mail is sent)."""
    import time

    from tenantctl.store.services import selfservice

    started = time.monotonic()
    limits = request.app.state.limits
    limits.forgot_client.hit(client_of(request))
    t = i18n.texts(i18n.choose(request))
    if not ident:
        return render(request, "password_forgot.html", status=422, errors={"ident": t["forgot_empty"]}, ident="")
    send = True
    try:  # one count per person, whether the login or the e-mail was typed
        from tenantctl.web.login_throttle import person_key

        limits.forgot_address.hit(person_key(request, ident))
    except TooManyRequests:
        send = False
    with runtime_of(request).transaction(request) as ctx:
        selfservice.request_reset(ctx, ident, send=send)
    # the answer takes as long for an unknown address as for a real one (which writes a link and
    # queues a mail): nothing to learn from the timing either
    time.sleep(max(0.0, FORGOT_MIN_SECONDS - (time.monotonic() - started)))
    return render(request, "password_forgot_sent.html",
                  hours=int(runtime_of(request).settings.reset_link_hours))
