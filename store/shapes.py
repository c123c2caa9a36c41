"""The JSON shapes of tenantctl's output, typed in one place. docs/json.md is generated from here
(`python -m tenantctl.store.shapes > docs/json.md`; a test keeps it current), and a test runs every mutating
command with --json and checks its `data` against the shape named in COMMANDS.

A mutating command prints the object as `show` prints it, plus "action": what the command did to
it ("created" | "updated" | "unchanged" | "deleted"); updates add "changed" ({field: [old, new]})."""


import sys
import types
import typing
from typing import Any, Literal, NotRequired, TypedDict, Union, get_args, get_origin, get_type_hints

from tenantctl.store.errors import JSON_DOCUMENT

Action = Literal["created", "updated", "unchanged", "deleted"]
Changed = dict[str, list[Any]]


class MembershipRef(TypedDict):
    """One of a user's memberships, as the user's own record lists it."""
    tenant: str
    tenant_name: str
    kind: str
    role: str


class OpenLink(TypedDict):
    """An open password link: never the token, only what it is and how long it lives."""
    id: int
    purpose: str
    created_at: str
    expires_at: str


class MailSummary(TypedDict):
    """One of the newest mails to a user's address."""
    id: int
    template: str
    state: str
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None


class ConnectionRef(TypedDict):
    """A tenant's connection as `tenant show` lists it."""
    id: int
    partner: str
    partner_kind: str
    state: str
    customer_number: str | None
    currency: str | None
    billing: str


class MailIdentity(TypedDict):
    """A reseller's identity in the mails to its customers (null: the platform's)."""
    sender_name: str | None
    reply_to: str | None
    signature: str | None


class Tenant(TypedDict):
    """`tenant show`. Customers add their reseller connection's fields, resellers their mail identity."""
    key: str
    name: str
    kind: str
    status: str
    language: str
    external_id: str | None
    created_at: str
    created_by: str
    time_zone: NotRequired[str]
    reseller: NotRequired[str | None]
    customer_number: NotRequired[str | None]
    currency: NotRequired[str | None]
    billing: NotRequired[str | None]
    connection_state: NotRequired[str | None]
    mail: NotRequired[MailIdentity]
    connections: list[ConnectionRef]
    members: int


class TenantResult(Tenant):
    """tenant create | update | suspend | activate | approve | reject."""
    action: Action
    changed: NotRequired[Changed]


class User(TypedDict):
    """`user show`: the user, memberships in the actor's scope, open links, the last mails."""
    login: str
    email: str
    first_name: str
    last_name: str
    language: str
    time_zone: str | None
    time_zone_in_use: str  # the zone of the times in their mails and pages: own, home tenant's, platform's
    time_zone_from: str    # "user", "tenant KEY" ("their home tenant" outside your scope), "platform setting …"
    status: str
    has_password: bool
    last_login_at: str | None
    created_at: str
    created_by: str
    memberships: list[MembershipRef]
    open_links: list[OpenLink]
    last_mails: list[MailSummary]


class UserResult(User):
    """user create | update | disable | enable."""
    action: Action
    changed: NotRequired[Changed]


class Member(TypedDict):
    """A membership as `member list` prints it."""
    tenant: str
    login: str
    email: str
    name: str
    role: str
    status: str
    since: str


class MemberResult(Member):
    """member add | remove."""
    action: Action
    changed: NotRequired[Changed]


class App(TypedDict):
    """An application of the catalogue (`app list`)."""
    key: str
    name: str
    bookings: int
    access_rights: int
    created_at: str
    created_by: str


class AppResult(App):
    """app create."""
    action: Action


class Invitation(TypedDict):
    """`invite show` (never a token)."""
    id: int
    kind: str
    status: str
    # "from" is a Python keyword: see FIELD_NAMES
    from_: str | None
    from_kind: str | None
    invited_by: str
    email: str | None
    customer_name: str | None
    customer_number: str | None
    currency: str | None
    billing: str | None
    role: str | None
    message: str | None
    uses: int
    max_uses: int
    created_at: str
    expires_at: str
    reissued: int
    accepted_by: str | None
    accepted_at: str | None
    accepted_tenant: str | None
    revoked_by: str | None
    revoked_at: str | None


class InvitationResult(Invitation):
    """invite create | revoke | reissue. The link and token appear once, when not mailed."""
    action: Action
    link: NotRequired[str]
    token: NotRequired[str]
    sent_to: NotRequired[str | None]


class Connection(TypedDict):
    """`connection show`."""
    id: int
    reseller: str
    reseller_name: str
    customer: str
    customer_name: str
    customer_status: str
    customer_number: str | None
    currency: str | None
    billing: str
    state: str
    info_request: str | None
    info_answer: str | None
    decision_reason: str | None
    approved_by: str | None
    approved_at: str | None
    created_at: str
    created_by: str
    updated_at: str | None


class ConnectionResult(Connection):
    """connection approve | request-info | answer | reject | delete."""
    action: Action


class PlanCounts(TypedDict):
    """What an apply did or would do, per kind of object."""
    created: int
    updated: int
    unchanged: int
    deleted: int


class PlanChange(TypedDict):
    """One line of an apply plan: the object, its document path and what changes (old → new)."""
    path: str
    type: str
    key: str | None
    action: str
    changes: Changed


class ApplyResult(TypedDict):
    """apply (and apply --dry-run)."""
    action: Action
    dry_run: bool
    run: int | None
    counts: dict[str, PlanCounts]
    changes: list[PlanChange]
    links_queued: int


FIELD_NAMES = {"from_": "from"}

# command → the shape of its `data`
COMMANDS: dict[str, type] = {
    "tenant create": TenantResult, "tenant update": TenantResult, "tenant suspend": TenantResult,
    "tenant activate": TenantResult, "tenant approve": TenantResult, "tenant reject": TenantResult,
    "tenant show": Tenant,
    "user create": UserResult, "user update": UserResult, "user disable": UserResult, "user enable": UserResult,
    "user show": User,
    "member add": MemberResult, "member remove": MemberResult,
    "app create": AppResult,
    "invite create": InvitationResult, "invite revoke": InvitationResult, "invite reissue": InvitationResult,
    "invite show": Invitation,
    "connection approve": ConnectionResult, "connection request-info": ConnectionResult,
    "connection answer": ConnectionResult, "connection reject": ConnectionResult,
    "connection delete": ConnectionResult, "connection show": Connection,
    "apply": ApplyResult,
}


# -- checking a value against a shape ----------------------------------------------------------------

def _hints(shape: type) -> dict[str, Any]:
    return {FIELD_NAMES.get(k, k): v for k, v in get_type_hints(shape, include_extras=True).items()}


def _required(shape: type) -> set[str]:
    return {FIELD_NAMES.get(k, k) for k in shape.__required_keys__}  # type: ignore[attr-defined]


def problems(value: Any, shape: Any, path: str = "data") -> list[str]:
    """Where `value` departs from `shape`: missing or unknown keys, wrong types. Empty: it conforms."""
    origin = get_origin(shape)
    if shape is Any:
        return []
    if origin is NotRequired:
        return problems(value, get_args(shape)[0], path)
    if origin is Literal:
        return [] if value in get_args(shape) else [f"{path}: {value!r} is not one of {get_args(shape)}"]
    if origin in (Union, types.UnionType):
        options = get_args(shape)
        if any(not problems(value, o, path) for o in options):
            return []
        return [f"{path}: {value!r} matches none of {options}"]
    if shape is type(None):
        return [] if value is None else [f"{path}: {value!r} is not null"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        (item,) = get_args(shape)
        return [p for i, v in enumerate(value) for p in problems(v, item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        _, item = get_args(shape)
        return [p for k, v in value.items() for p in problems(v, item, f"{path}.{k}")]
    if typing.is_typeddict(shape):
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        hints, required = _hints(shape), _required(shape)
        out = [f"{path}: missing {k!r}" for k in sorted(required - set(value))]
        out += [f"{path}: unknown field {k!r}" for k in sorted(set(value) - set(hints))]
        for k, v in value.items():
            if k in hints:
                out += problems(v, hints[k], f"{path}.{k}")
        return out
    if shape is bool:
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a boolean"]
    if shape is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not an integer"]
    if shape is str:
        return [] if isinstance(value, str) else [f"{path}: {value!r} is not a string"]
    raise TypeError(f"shape {shape!r} is not supported")


# -- the documentation -----------------------------------------------------------------------------

def _type_text(t: Any) -> str:
    origin = get_origin(t)
    if origin is NotRequired:
        return _type_text(get_args(t)[0])
    if origin is Literal:
        return " \\| ".join(f'"{a}"' for a in get_args(t))
    if origin in (Union, types.UnionType):
        return " \\| ".join(_type_text(a) for a in get_args(t))
    if origin is list:
        return f"list of {_type_text(get_args(t)[0])}"
    if origin is dict:
        return f"object of {_type_text(get_args(t)[1])}"
    if t is type(None):
        return "null"
    if t is Any:
        return "any"
    if typing.is_typeddict(t):
        return f"[{t.__name__}](#{t.__name__.lower()})"
    return {str: "string", int: "integer", bool: "boolean"}.get(t, str(t))


def markdown() -> str:
    shapes: list[type] = []
    for shape in COMMANDS.values():
        for t in (shape, *_nested(shape)):
            if t not in shapes:
                shapes.append(t)
    lines = [
        "# JSON output",
        "",
        "Generated from `store/shapes.py` (`python -m tenantctl.store.shapes > docs/json.md`); a test checks that this",
        "file is current and that every command below prints exactly this shape.",
        "",
        "With `--json`, stdout holds one document: `{\"data\": …}` (lists add `\"meta\": {\"total\", \"limit\",",
        "\"offset\"}`) or `{\"error\": {\"code\", \"message\", \"hint\"}}` (plus `\"details\"` where there is more",
        "to say). A mutating command's `data` is the object as its `show` command prints it, plus `\"action\"`:",
        "`\"created\"`, `\"updated\"`, `\"unchanged\"` or `\"deleted\"`; updates add `\"changed\"`",
        "(`{field: [old, new]}`). `--if-not-exists` on a create answers `\"unchanged\"` for an equal object",
        "(exit 0) and exit 5 with `error.details.differences` (`{field: {\"stored\", \"given\"}}`) otherwise.",
        "A list's `-o json` is `--json`; its `-o yaml` is the same document as YAML (README, \"Lists\").",
        "",
        "## Exit codes and their documents",
        "",
        "Exactly one document on stdout, whatever the exit code (a test checks every `--json` call of the",
        "test suite); a non-zero exit also prints its one line on stderr (`error: …` or `warning: …`), so",
        "that `key=$(tenantctl … --json | jq -r .data.key)` under `set -e` never stops without a word.",
        "A dry run (`import run --dry-run`, `apply --dry-run`) is the real run rolled back: the same exit",
        "code and the same document as the real run, but for the run number (`null`).",
        "",
        "| exit code | document |",
        "|---|---|",
        *(f"| {code} | {text} |" for code, text in JSON_DOCUMENT.items()),
        "",
        "## Commands",
        "",
        "| command | data |",
        "|---|---|",
    ]
    lines += [f"| `tenantctl {cmd}` | {_type_text(shape)} |" for cmd, shape in COMMANDS.items()]
    for t in shapes:
        lines += ["", f"## {t.__name__}", "", (t.__doc__ or "").strip(), "",
                  "| field | type | always |", "|---|---|---|"]
        required = _required(t)
        lines += [f"| `{k}` | {_type_text(v)} | {'yes' if k in required else 'no'} |" for k, v in _hints(t).items()]
    return "\n".join(lines) + "\n"


def _nested(shape: Any) -> list[type]:
    out: list[type] = []
    for arg in get_args(shape):
        out += _nested(arg)
    if typing.is_typeddict(shape):
        for v in _hints(shape).values():
            for t in (v, *_nested(v)):
                if typing.is_typeddict(t) and t not in out:
                    out.append(t)
    return out


if __name__ == "__main__":
    sys.stdout.write(markdown())
