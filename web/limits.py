"""The rate limits of the token and login endpoints, per client address and per target."""

from __future__ import annotations

from dataclasses import dataclass, field

from web.security import RateLimiter

MINUTE = 60.0


@dataclass
class Limits:
    # the login check: the platform's backend is one client for all its users, hence the
    # generous per-client limit; a password guesser is stopped per account
    login_client: RateLimiter = field(default_factory=lambda: RateLimiter(300, MINUTE))
    login_account: RateLimiter = field(default_factory=lambda: RateLimiter(10, 15 * MINUTE))
    # pages that take a token (password link, invitation): a token guesser is stopped per client
    token_client: RateLimiter = field(default_factory=lambda: RateLimiter(30, MINUTE))
    # forgot password: per client and per address (OWASP: no mail bombing of one person)
    forgot_client: RateLimiter = field(default_factory=lambda: RateLimiter(10, 15 * MINUTE))
    forgot_address: RateLimiter = field(default_factory=lambda: RateLimiter(3, 60 * MINUTE))

    @classmethod
    def unlimited(cls) -> Limits:
        """For benchmarks: nothing is ever refused."""
        big = 10**12
        return cls(*(RateLimiter(big, MINUTE) for _ in range(5)))

    def reset(self) -> None:
        for limiter in vars(self).values():
            limiter.reset()
