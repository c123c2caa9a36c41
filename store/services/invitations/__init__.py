"""Invitation links (S4–S7): partner invitations (reseller ↔ customer) and member invitations
(a person joins a tenant). One module per concept:

- `links.py`: the token and the link. A token is store/tokens.py's
  `<invitation id>.<secrets.token_urlsafe(32)>`, the scheme of password links too; only its SHA-256
  is stored. A printed link is minted at creation and shown once; a mailed link is minted at
  delivery (`mint_for_mail`), replacing the stored hash, so the database never holds a usable token.
- `status.py`: lifetimes and the status (in Python and as SQL), and the shown form.
- `scope.py`: which invitations an actor sees and may change.
- `creation.py`: create (and the invitation mail); `management.py`: list, show, revoke, reissue.
- `acceptance.py`: accepting is an explicit command; unknown, used, revoked and expired tokens all
  get the same error; a single-use token is claimed with one conditional UPDATE, so two
  simultaneous accepts cannot both succeed.

The names below are the package's API for the faces and the other services (docs/security.md)."""

from tenantctl.store.services.invitations.acceptance import accept
from tenantctl.store.services.invitations.creation import create, invitee_zone, mint_for_mail
from tenantctl.store.services.invitations.links import (
    INVALID_TOKEN,
    TOKEN_RE,
    extract_token,
    hash_token,
    invalid_token,
    password_on_page,
)
from tenantctl.store.services.invitations.management import list_invitations, reissue, revoke, show
from tenantctl.store.services.invitations.status import invitation_out, parse_lifetime, status_of

__all__ = ["INVALID_TOKEN", "TOKEN_RE", "accept", "create", "extract_token", "hash_token", "invalid_token",
           "invitation_out", "invitee_zone", "list_invitations", "mint_for_mail", "parse_lifetime",
           "password_on_page", "reissue", "revoke", "show", "status_of"]
