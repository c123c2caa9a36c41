"""Every service whose mails carry a token, imported together: importing one registers its minter
in store/mail/minters.py. Whoever delivers mails it did not queue itself (the worker, `mail send`,
`mail retry`) imports this module first, so that each mail in the outbox finds its minter."""

from __future__ import annotations

from tenantctl.store.services import invitations, passwords

# what importing them registered (tests/mail/test_minters.py keeps this complete)
MINTED = {"invitation": invitations.mint_for_mail, "password_link": passwords.mint_for_mail}
