"""Password links (S3), setting a password through a link, and the login check. One module per
concept: `links.py` (a link and its token), `recipients.py` (whom links go to), `issuing.py`
(issuing and sending them), `setting.py` (setting a password), `logins.py` (the login check).

A link is valid only if unused, not voided, not expired (valid up to and including `expires_at`,
as in Django's token tests), its user is not disabled and the user's `credential_version` still
equals the one at issue. Every login, password change, e-mail change and disable bumps that
version, so all of them kill open links; the explicit `voided_at` rows make it visible why.

Races (login vs redemption, two redemptions): both write with compare-and-set UPDATEs guarded by
the credential version they read (`WHERE credential_version = :seen`), so of two racing
transactions exactly one wins on SQLite (BEGIN IMMEDIATE serialises) and on PostgreSQL (the
second UPDATE waits for the first's row lock, re-reads the row and matches nothing).

The names below are the package's API for the faces and the other services."""

from tenantctl.store.services.passwords.issuing import issue_links, plan, send_links
from tenantctl.store.services.passwords.links import (
    BAD_LINK,
    BAD_LINK_HINT,
    InvalidLink,
    check_token,
    is_open,
    lifetime,
    link_out,
    link_url,
    mint_for_mail,
    mint_now,
)
from tenantctl.store.services.passwords.logins import (
    LOGIN_FAILED,
    LoginFailed,
    Verified,
    can_log_in,
    login,
    person_key,
    record_login,
    verify_login,
)
from tenantctl.store.services.passwords.recipients import fully_managed, pick_language, select_users, with_open_link
from tenantctl.store.services.passwords.setting import redeem, refuse_current, set_first_password

__all__ = ["BAD_LINK", "BAD_LINK_HINT", "LOGIN_FAILED", "InvalidLink", "LoginFailed", "Verified", "can_log_in",
           "check_token", "fully_managed", "is_open", "issue_links", "lifetime", "link_out", "link_url", "login",
           "mint_for_mail", "mint_now", "person_key", "pick_language", "plan", "record_login", "redeem",
           "refuse_current", "select_users", "send_links", "set_first_password", "verify_login",
           "with_open_link"]
