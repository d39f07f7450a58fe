"""Who is calling: the verified subject of an access token."""

import time
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    roles: frozenset[str]
    # When the token stops being accepted (epoch seconds, its exp plus the verifier's
    # leeway): a long-lived connection (a WebSocket) authenticated by it ends then.
    valid_until: float | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def seconds_left(self) -> float:
        """How long the token stays valid (0 when it no longer is; inf without an exp)."""
        if self.valid_until is None:
            return float("inf")
        return max(self.valid_until - time.time(), 0.0)
