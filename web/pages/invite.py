"""An invitation (/invite/<token>): who invites whom to what, without using it; accepting is a
POST, as a newcomer (register) or as an existing account (log in on the page, accept as itself)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tenantctl.store.errors import TenantctlError
from tenantctl.web import i18n, refusals
from tenantctl.web.pages import forms, render, tokens
from tenantctl.web.runtime import runtime_of
from tenantctl.web.security import client_of

router = APIRouter(include_in_schema=False)

PATH = "/invite"
COOKIE = "invitation"
REGISTER_FIELDS = ("organisation", "first_name", "last_name", "email")


def _look(request: Request, token: str) -> dict[str, Any]:
    from tenantctl.store.services import selfservice

    with runtime_of(request).transaction(request, write=False) as ctx:
        return selfservice.invitation(ctx, token)


def _invalid(request: Request, status: int = 410) -> HTMLResponse:
    response = render(request, "invite_invalid.html", status=status)
    tokens.forget(request, response, cookie=COOKIE, path=PATH)
    return response


def _page(request: Request, info: dict[str, Any], *, status: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None, mode: str | None = None) -> HTMLResponse:
    from tenantctl.store.services.selfservice import password_rules
    from tenantctl.web.pages.dates import format_time

    lang = i18n.choose(request, info["language"])
    defaults = {"organisation": info["customer_name"] or "", "first_name": "", "last_name": "",
                "email": info["email"] or "", "login": "", "tenant": ""}
    return render(request, "invite.html", language=lang, status=status, reseller=info["reseller"], info=info,
                  expires=format_time(info["expires_at"], lang, runtime_of(request).settings, info["time_zone"]),
                  errors=errors or {}, values={**defaults, **(values or {})}, mode=mode, rules=password_rules())


@router.get(PATH + "/{token}", response_class=HTMLResponse)
def with_token(request: Request, token: str) -> Response:
    from tenantctl.store.errors import InvalidInput

    request.app.state.limits.token_client.hit(client_of(request))
    try:
        info = _look(request, token)
    except InvalidInput:
        return _invalid(request)
    return tokens.keep_and_forward(request, cookie=COOKIE, path=PATH, token=token,
                                   language=i18n.choose(request, info["language"]), reseller=info["reseller"])


@router.get(PATH, response_class=HTMLResponse)
def page(request: Request) -> Response:
    from tenantctl.store.errors import InvalidInput

    kept = request.cookies.get(COOKIE)
    if not kept:
        return _invalid(request)
    try:
        return _page(request, _look(request, kept))
    except InvalidInput:
        return _invalid(request)


@router.post(PATH, response_class=HTMLResponse)
async def accept(request: Request) -> Response:
    from anyio import to_thread

    form = await request.form()
    forms.check_csrf(request, form)
    values = {k: str(form.get(k) or "").strip() for k in (*REGISTER_FIELDS, "login", "tenant")}
    # passwords are taken as typed (never stripped): the login's, or the newcomer's new one twice
    typed = {k: str(form.get(k) or "") for k in ("password", "new_password", "new_password_confirm")}
    return await to_thread.run_sync(_accept, request, str(form.get("mode") or ""), values, typed)


def _accept(request: Request, mode: str, values: dict[str, str], typed: dict[str, str]) -> Response:
    from tenantctl.store.errors import Conflict, InvalidInput
    from tenantctl.store.services import selfservice
    from tenantctl.store.services.passwords import LoginFailed

    limits = request.app.state.limits
    limits.token_client.hit(client_of(request))
    token = request.cookies.get(COOKIE)
    if not token:
        return _invalid(request)
    try:
        info = _look(request, token)
    except InvalidInput:
        return _invalid(request)
    lang = i18n.choose(request, info["language"])
    t = i18n.texts(lang)
    password = typed["password"]
    if mode == "login":
        missing = {k: t["field_required"] for k in ("login", "password") if not (password if k == "password"
                                                                               else values[k])}
    else:
        needed = (("organisation", "first_name", "last_name", "email") if info["kind"] == "partner"
                  else ("first_name", "last_name"))
        missing = {k: t["field_required"] for k in needed if not values[k]}
        if info["password_on_page"]:
            password = typed["new_password"]
            if not password:
                missing["new_password"] = t["policy_empty"]
            elif password != typed["new_password_confirm"]:
                missing["new_password_confirm"] = t["set_mismatch"]
    if missing:
        return _page(request, info, status=422, errors=missing, values=values, mode=mode)
    link = token

    def accept_as() -> dict[str, Any]:
        with runtime_of(request).transaction(request) as ctx:
            return selfservice.accept_as(ctx, link, values["login"], password, tenant=values["tenant"] or None)

    try:
        if mode == "login":  # a password is tried: throttled as every login (web.login_throttle)
            from tenantctl.web.login_throttle import guarded

            result = guarded(request, values["login"], accept_as)
        else:
            with runtime_of(request).transaction(request) as ctx:
                partner = info["kind"] == "partner"
                result = selfservice.accept_new(ctx, token, first_name=values["first_name"],
                                                last_name=values["last_name"],
                                                organisation=values["organisation"] if partner else None,
                                                email=values["email"] if partner else None,
                                                password=password if info["password_on_page"] else None)
    except LoginFailed:
        return _page(request, info, status=401, errors={"password": t["invite_login_failed"]}, values=values,
                     mode=mode)
    except TenantctlError as err:
        if refusals.reason_of(err) == "invalid_token":
            return _invalid(request)
        # the refusal in the page's language, next to the field it is about (web/refusals.py); an
        # address that has an account is never named, the text points to the login form
        shown = _fields_shown(mode, info["kind"])
        field = refusals.field_of(err, shown, default=shown[0])
        if mode != "login" and "rule" in (err.details or {}):
            field = "new_password"  # the password policy, about the newcomer's chosen password
        status = 409 if isinstance(err, Conflict) and mode != "login" else 422
        return _page(request, info, status=status, errors={field: refusals.message(err, lang)}, values=values,
                     mode=mode)
    response = render(request, "invite_done.html", language=i18n.choose(request, info["language"]),
                      reseller=info["reseller"], info=info, result=result, mode=mode)
    tokens.forget(request, response, cookie=COOKIE, path=PATH)
    return response


def _fields_shown(mode: str, kind: str) -> tuple[str, ...]:
    """The fields of the form that was sent (the first one takes a refusal that names none of them)."""
    partner = kind == "partner"
    if mode == "login":
        return ("login", "password", "tenant") if partner else ("login", "password")
    return ("organisation", "first_name", "last_name", "email") if partner else ("first_name", "last_name")
