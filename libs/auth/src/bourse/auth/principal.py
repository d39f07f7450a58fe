"""Who is calling: the verified subject of an access token or of an API key."""

import time
from dataclasses import dataclass
from uuid import UUID

READ = "read"
TRADE = "trade"
ALL_SCOPES = frozenset({READ, TRADE})


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    roles: frozenset[str]
    # When the token stops being accepted (epoch seconds, its exp plus the verifier's
    # leeway): a long-lived connection (a WebSocket) authenticated by it ends then.
    valid_until: float | None = None
    # What the caller may do: an access token may do everything, an API key what its
    # owner chose when creating it (bourse.auth.scopes).
    scopes: frozenset[str] = ALL_SCOPES
    # The API key the caller authenticated with (None: an access token).
    key_id: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def via_key(self) -> bool:
        return self.key_id is not None

    def seconds_left(self) -> float:
        """How long the token stays valid (0 when it no longer is; inf without an exp)."""
        if self.valid_until is None:
            return float("inf")
        return max(self.valid_until - time.time(), 0.0)
