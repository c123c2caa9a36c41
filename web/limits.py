"""The rate limits of the token and login endpoints, per client address and per target. One
process (SQLite) counts in memory; with PostgreSQL the workers count together in the store, so
the limits below hold for the whole server whatever `--workers` is."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from tenantctl.web.security import RateLimiter, SharedRateLimiter

MINUTE = 60.0

# name → (limit, window in seconds)
BUDGETS: dict[str, tuple[int, float]] = {
    # the login check: the platform's backend is one client for all its users, hence the
    # generous per-client limit; a password guesser is stopped per account
    "login_client": (300, MINUTE),
    # failed logins (web.login_throttle): of one account from one client; of one account from
    # anywhere, above which a client that failed waits a minute between tries
    "login_pair": (5, 15 * MINUTE),
    "login_account": (10, 15 * MINUTE),
    # pages that take a token (password link, invitation): a token guesser is stopped per client
    "token_client": (30, MINUTE),
    # forgot password: per client and per person, whatever spelling (OWASP: no mail bombing of one person)
    "forgot_client": (10, 15 * MINUTE),
    "forgot_address": (3, 60 * MINUTE),
    # the JSON API, per API token (per address for calls without one): a script may be busy, but
    # one token cannot take the server for itself
    "api_token": (600, MINUTE),
}

Limiter = RateLimiter | SharedRateLimiter


@dataclass
class Limits:
    login_client: Limiter = field(default_factory=lambda: RateLimiter(*BUDGETS["login_client"]))
    login_account: Limiter = field(default_factory=lambda: RateLimiter(*BUDGETS["login_account"]))
    login_pair: Limiter = field(default_factory=lambda: RateLimiter(*BUDGETS["login_pair"]))
    token_client: Limiter = field(default_factory=lambda: RateLimiter(*BUDGETS["token_client"]))
    forgot_client: Limiter = field(default_factory=lambda: RateLimiter(*BUDGETS["forgot_client"]))
    forgot_address: Limiter = field(default_factory=lambda: RateLimiter(*BUDGETS["forgot_address"]))
    api_token: Limiter = field(default_factory=lambda: RateLimiter(*BUDGETS["api_token"]))

    @classmethod
    def for_store(cls, store: Any) -> Limits:
        """In memory for SQLite (one process); counted in the store for PostgreSQL (any number of
        worker processes share the count)."""
        if store.is_sqlite:
            return cls()
        return cls(**{f.name: SharedRateLimiter(store, f.name, *BUDGETS[f.name]) for f in fields(cls)})

    @classmethod
    def unlimited(cls) -> Limits:
        """For benchmarks: nothing is ever refused."""
        big = 10**12
        return cls(*(RateLimiter(big, MINUTE) for _ in fields(cls)))

    def reset(self) -> None:
        for limiter in vars(self).values():
            limiter.reset()
