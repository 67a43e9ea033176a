"""API throttles (kept apart from crm.api_conventions: DRF imports them while building APIView)."""

import hashlib

from rest_framework import throttling


def _hashed(ident: str) -> str:
    """Cache keys from client input (a username may hold spaces, control characters or 150 characters of
    anything) are hashed, so every cache backend accepts them."""
    return hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()


class WriteRateThrottle(throttling.UserRateThrottle):
    """Throttles writes (not reads) per user, or per address for anonymous callers."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        key = super().get_cache_key(request, view)
        return None if key is None else self.cache_format % {"scope": self.scope, "ident": _hashed(key)}


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Token requests per (username, address): guessing one account's password is slow, while many users
    behind one office address can still log in."""

    scope = "token"

    def get_cache_key(self, request, view):
        data = getattr(request, "data", None)
        # The body may be any JSON (a list, a number): only an object names a username.
        username = str(data.get("username", ""))[:150] if isinstance(data, dict) else ""
        ident = _hashed(f"{self.get_ident(request)}:{username}")
        return self.cache_format % {"scope": self.scope, "ident": ident}
