"""Every operation of the JSON API, described once: its HTTP method, its path under /api/v1, the
service function that does the work, and the names of its parameters (in the path, the query, the
JSON body). Both faces derive from this table, so they cannot drift apart:

- the routes in `web/api/*` are registered with `web.api.common.route(router, VERB)`, which takes
  the method and the path from here;
- the CLI names the verb in `cli.backend.call(VERB, local, …)`: remote mode builds the request
  from it, and in both modes a parameter the verb does not declare is refused at once (a
  programming error, so every test that runs a command checks it);
- tests/api/test_verbs.py checks the table against the app's OpenAPI document (every route is a
  verb, every verb a route, with the same path, query and body parameters) and that each service
  named here exists.

Plain data with no imports: the CLI reads it in remote mode and for `--help`, where the store's
heavy modules must stay unloaded."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Verb:
    method: str
    path: str  # under /api/v1, with {name} for each path parameter
    service: str  # "module.function" in store/services (store/imports for the import runs)
    query: tuple[str, ...] = ()
    body: tuple[str, ...] = ()  # the JSON body's keys
    raw_body: str | None = None  # the body is a file or document of this media type, not JSON

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def check(self, path: dict[str, object], query: dict[str, object] | None,
              body: dict[str, object] | None) -> None:
        """A call names exactly the verb's path parameters and only its query and body keys."""
        wrong = [f"path {sorted(path)} is not {list(self.path_params)}"] if set(path) != set(self.path_params) else []
        wrong += [f"query key {k!r}" for k in (query or {}) if k not in self.query]
        wrong += [f"body key {k!r}" for k in (body or {}) if k not in self.body]
        if wrong:
            raise TypeError(f"{self.method} {self.path} does not take: {', '.join(wrong)} (store/verbs.py)")


PAGE = ("limit", "offset")

# -- authentication and tokens ---------------------------------------------------------------------
AUTH_LOGIN = Verb("POST", "/auth/login", "passwords.verify_login", body=("login", "password"))
AUTH_TOKEN = Verb("POST", "/auth/token", "api_tokens.login_and_create",
                  body=("name", "expires_in", "read_only", "login", "password"))
AUTH_STATUS = Verb("GET", "/auth/status", "whoami.describe")
TOKEN_CREATE = Verb("POST", "/tokens", "api_tokens.create", body=("name", "expires_in", "read_only"))
TOKEN_LIST = Verb("GET", "/tokens", "api_tokens.list_tokens", query=("all", "user", "inactive", *PAGE))
TOKEN_REVOKE_CURRENT = Verb("DELETE", "/tokens/current", "api_tokens.revoke_presented")
TOKEN_REVOKE = Verb("DELETE", "/tokens/{ref}", "api_tokens.revoke", query=("user",))

# -- tenants, users, members -----------------------------------------------------------------------
TENANT_CREATE = Verb("POST", "/tenants", "answers.create_tenant",
                     body=("name", "kind", "reseller", "key", "customer_number", "currency", "billing", "language",
                           "external_id", "if_not_exists", "allow_duplicate_name"))
TENANT_LIST = Verb("GET", "/tenants", "tenants.list_tenants", query=("kind", "status", "reseller", "search", *PAGE))
TENANT_SHOW = Verb("GET", "/tenants/{key}", "tenants.show_tenant")
TENANT_LOOKUP = Verb("GET", "/lookup/tenant", "tenants.find_exact",
                     query=("customer_number", "external_id", "reseller"))
TENANT_UPDATE = Verb("PATCH", "/tenants/{key}", "answers.update_tenant",
                     body=("name", "language", "external_id", "customer_number", "currency", "billing", "reseller",
                           "mail_sender_name", "mail_reply_to", "mail_signature", "time_zone"))
TENANT_SUSPEND = Verb("POST", "/tenants/{key}/suspend", "answers.set_tenant_status")
TENANT_ACTIVATE = Verb("POST", "/tenants/{key}/activate", "answers.set_tenant_status")
TENANT_APPROVE = Verb("POST", "/tenants/{key}/approve", "answers.decide_registration", body=("reason",))
TENANT_REJECT = Verb("POST", "/tenants/{key}/reject", "answers.decide_registration", body=("reason",))
TENANT_ERASE = Verb("POST", "/tenants/{key}/erase", "erasure.erase_tenant", body=("dry_run",))

USER_CREATE = Verb("POST", "/users", "answers.create_user",
                   body=("tenant", "first_name", "last_name", "email", "role", "language", "time_zone", "login",
                         "if_not_exists"))
USER_LIST = Verb("GET", "/users", "users.list_users", query=("tenant", "status", "search", *PAGE))
USER_SHOW = Verb("GET", "/users/{ident}", "user_view.show_user")
USER_LOOKUP = Verb("GET", "/lookup/user", "users.get_user_by_email", query=("email",))
USER_UPDATE = Verb("PATCH", "/users/{ident}", "answers.update_user",
                   body=("first_name", "last_name", "email", "language", "time_zone"))
USER_DISABLE = Verb("POST", "/users/{ident}/disable", "answers.set_user_enabled")
USER_ENABLE = Verb("POST", "/users/{ident}/enable", "answers.set_user_enabled")
USER_EXPORT = Verb("GET", "/users/{ident}/export", "personal_export.export_user")
USER_ERASE = Verb("POST", "/users/{ident}/erase", "erasure.erase_user", body=("dry_run",))

MEMBER_LIST = Verb("GET", "/tenants/{key}/members", "memberships.list_members", query=("role", *PAGE))
MEMBER_ADD = Verb("PUT", "/tenants/{key}/members/{ident}", "answers.add_member", body=("role",))
MEMBER_REMOVE = Verb("DELETE", "/tenants/{key}/members/{ident}", "answers.remove_member")

# -- invitations and connections -------------------------------------------------------------------
INVITE_CREATE = Verb("POST", "/invitations", "answers.create_invitation",
                     body=("kind", "origin", "email", "customer_name", "customer_number", "currency", "billing",
                           "role", "message", "expires_in", "max_uses", "send", "if_not_exists"))
INVITE_LIST = Verb("GET", "/invitations", "invitations.list_invitations",
                   query=("status", "kind", "sent", "received", "search", *PAGE))
INVITE_SHOW = Verb("GET", "/invitations/{inv_id}", "invitations.show")
INVITE_REVOKE = Verb("POST", "/invitations/{inv_id}/revoke", "answers.revoke_invitation")
INVITE_REISSUE = Verb("POST", "/invitations/{inv_id}/reissue", "answers.reissue_invitation",
                      body=("expires_in", "send"))

CONNECTION_LIST = Verb("GET", "/connections", "connections.list_connections",
                       query=("state", "tenant", "search", *PAGE))
CONNECTION_SHOW = Verb("GET", "/connections/{conn_id}", "connections.show_connection")
CONNECTION_APPROVE = Verb("POST", "/connections/{conn_id}/approve", "answers.approve_connection")
CONNECTION_REQUEST_INFO = Verb("POST", "/connections/{conn_id}/request-info", "answers.request_info",
                               body=("message",))
CONNECTION_ANSWER = Verb("POST", "/connections/{conn_id}/answer", "answers.answer_connection", body=("message",))
CONNECTION_REJECT = Verb("POST", "/connections/{conn_id}/reject", "answers.reject_connection", body=("reason",))
CONNECTION_DELETE = Verb("DELETE", "/connections/{conn_id}", "answers.delete_connection")

# -- passwords, imports, apply, the catalogue, audit, mail -----------------------------------------
PASSWORD_LINKS = Verb("POST", "/password-links", "passwords.send_links",
                      body=("users", "tenant", "without_password", "purpose", "print_link", "also_mail", "dry_run",
                            "send_now", "unless_open"))
IMPORT_RUN = Verb("POST", "/imports", "ingest.run",
                  query=("filename", "dry_run", "mode", "skip_invalid", "send_links", "reseller", "sheet", "map",
                         "encoding", "header_row", "layout", "rows", "rows_limit", "trust_names"),
                  raw_body="application/octet-stream")
IMPORT_LIST = Verb("GET", "/imports", "runs.list_runs", query=PAGE)
IMPORT_SHOW = Verb("GET", "/imports/{run_id}", "runs.show_run")
IMPORT_UNDO = Verb("POST", "/imports/{run_id}/undo", "runs.undo_run", query=("dry_run",))
APPLY = Verb("POST", "/apply", "ingest.run", query=("name", "dry_run", "prune", "send_links", "rows_limit"),
             raw_body="application/yaml")

APP_CREATE = Verb("POST", "/apps", "answers.create_app", body=("name", "key", "if_not_exists"))
APP_LIST = Verb("GET", "/apps", "apps.list_apps")
AUDIT_LIST = Verb("GET", "/audit", "audit.list_events",
                  query=("actor", "tenant", "action", "since", "user", "obj", *PAGE))
MAIL_LIST = Verb("GET", "/mail", "outbox.list_mails", query=("state", "to", "user", *PAGE))


def all_verbs() -> dict[str, Verb]:
    """NAME → verb, for the tests and the docs."""
    return {name: v for name, v in globals().items() if isinstance(v, Verb)}
