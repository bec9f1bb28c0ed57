"""API keys (stored as SHA-256 hashes) and per-key rate limits.

Keys are 256-bit random tokens, so a plain SHA-256 is the right hash: there is nothing to
brute-force, and a slow password hash (bcrypt, argon2) would cost milliseconds per request.
Configuration holds only ``<name>:<hex digest>``; a leaked config does not leak a key.

Rate limits count accepted events per key with the ``limits`` library's sliding-window counter
(a well-kept implementation, O(1) memory per key, the same notation as Flask-Limiter/SlowAPI).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass

import limits
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter


class ConfigError(ValueError):
    """The edge's key or limit configuration cannot be used."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def mint_key(name: str) -> tuple[str, str]:
    """A new key and the ``<name>:<hash>`` entry that goes into MERIDIAN_EDGE_API_KEYS."""
    key = "mk_" + secrets.token_urlsafe(32)
    return key, f"{name}:{hash_key(key)}"


@dataclass(frozen=True)
class ApiKeys:
    by_hash: dict[str, str]  # digest -> key name

    @classmethod
    def parse(cls, entries: list[str]) -> ApiKeys:
        by_hash: dict[str, str] = {}
        for entry in entries:
            name, _, digest = entry.partition(":")
            digest = digest.strip().lower()
            if not name or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ConfigError(
                    f"edge API key entry {entry[:20]!r}... is not '<name>:<sha256 hex>'; "
                    "mint one with `meridian edge-key`"
                )
            by_hash[digest] = name
        return cls(by_hash)

    def identify(self, authorization: str | None) -> str | None:
        """The key's name for an ``Authorization: Bearer <key>`` header, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.by_hash.get(hash_key(token.strip()))


class RateLimits:
    """Events per key per window; ``allow`` answers (allowed, seconds until it may retry)."""

    def __init__(self, rate: str) -> None:
        try:
            self.item = limits.parse(rate)
        except ValueError as exc:
            raise ConfigError(f"edge rate limit {rate!r} is not like '20000/second': {exc}") from None
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    def allow(self, key_name: str, events: int) -> tuple[bool, int]:
        if events > self.item.amount:
            return False, 0  # would never fit: the caller says so instead of asking to retry
        if self.limiter.hit(self.item, key_name, cost=events):
            return True, 0
        stats = self.limiter.get_window_stats(self.item, key_name)
        return False, max(1, math.ceil(stats.reset_time - time.time()))
