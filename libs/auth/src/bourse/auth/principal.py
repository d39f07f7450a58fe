"""Who is calling: the verified subject of an access token."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles
