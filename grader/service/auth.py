"""Tokens (stored only as SHA-256 hashes), CSRF tokens for forms, and a login rate limiter."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque

TOKEN_BYTES = 24


def new_token() -> str:
    """A fresh personal token (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps of a token. Tokens are random, so a plain hash suffices."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(secret: bytes, token_hash: str) -> str:
    """The form token of a signed-in user: an HMAC of their token hash under the server secret."""
    return hmac.new(secret, token_hash.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, token_hash: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(secret, token_hash), str(given))


class RateLimiter:
    """At most ``limit`` failures per ``window`` seconds per key (the client's address)."""

    def __init__(self, limit: int = 10, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque:
        q = self._fails[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._trim(key, time.monotonic())) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._trim(key, now).append(now)
