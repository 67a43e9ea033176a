"""API throttles (kept apart from crm.api_conventions: DRF imports them while building APIView)."""

from rest_framework import throttling


class WriteRateThrottle(throttling.UserRateThrottle):
    """Throttles writes (not reads) per user, or per address for anonymous callers."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Token requests per (username, address): guessing one account's password is slow, while many users
    behind one office address can still log in."""

    scope = "token"

    def get_cache_key(self, request, view):
        username = str(request.data.get("username", ""))[:150] if hasattr(request, "data") else ""
        return self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{username}"}
