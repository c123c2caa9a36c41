"""Password guessing is throttled as OWASP's "Blocking Brute Force Attacks" describes, without
letting a stranger lock the owner out:

- per account *and* client: LOGIN_PAIR failures within the window refuse that client for that
  account (429) until the oldest failure leaves the window;
- per account: once it has LOGIN_ACCOUNT failures within the window (from anywhere), a client that
  has itself failed for it gets one try per LOGIN_SLOW_SECONDS. A client that has not failed for the
  account is never slowed by it: the owner logs in from their own device whatever a stranger did;
- the account is the person, whatever spelling is typed (login or e-mail; an unknown name counts
  for itself), so a guesser gets no extra tries by switching spellings.

Only failures count (a success forgets the client's failures for the account); `login_client`
still bounds every client's attempts overall. The same person key bounds forgot-password mails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tenantctl.web.errors import TooManyRequests
from tenantctl.web.security import client_of

T = TypeVar("T")
LOGIN_SLOW_SECONDS = 60.0


def person_key(request: Any, ident: str) -> str:
    """One key per person: 'user:<id>' for a known login or e-mail, else the typed name folded."""
    from tenantctl.store.services.passwords import person_key as key_of
    from tenantctl.web.runtime import runtime_of

    with runtime_of(request).store.transaction(write=False) as session:
        return key_of(session, ident)


def guarded(request: Any, ident: str, attempt: Callable[[], T]) -> T:
    """Run one login attempt (`attempt` raises LoginFailed for a wrong password) under the limits."""
    from tenantctl.store.errors import Unauthenticated
    from tenantctl.store.services.passwords import LoginFailed

    limits = request.app.state.limits
    client = client_of(request)
    limits.login_client.hit(client)
    person = person_key(request, ident)
    pair = f"{person}\0{client}"
    failed, until_free, since_last = limits.login_pair.count(pair)
    if failed >= limits.login_pair.limit:
        raise TooManyRequests(_seconds(until_free))
    if failed:
        under_attack, _, _ = limits.login_account.count(person)
        if under_attack >= limits.login_account.limit and since_last < LOGIN_SLOW_SECONDS:
            raise TooManyRequests(_seconds(LOGIN_SLOW_SECONDS - since_last))
    try:
        result = attempt()
    except (LoginFailed, Unauthenticated):  # the token login says Unauthenticated
        limits.login_pair.add(pair)
        limits.login_account.add(person)
        raise
    if failed:
        limits.login_pair.forget(pair)
    return result


def _seconds(wait: float) -> int:
    return max(1, int(wait) + 1)
