"""Real tokens for tests: an issuer with its own Ed25519 key and a verifier that trusts it
(an in-memory JWKS: no user-service needed, nothing about verification is stubbed)."""

import uuid
from typing import Any

from bourse.auth.signing import SigningKey, issue_access_token, jwks
from bourse.auth.verify import TokenVerifier

ISSUER = "bourse-user-service"
AUDIENCE = "bourse"


class TestIssuer:
    __test__ = False  # not a pytest test class

    def __init__(self, issuer: str = ISSUER, audience: str = AUDIENCE) -> None:
        self.key = SigningKey.generate()
        self.issuer = issuer
        self.audience = audience

    def token(
        self, user_id: uuid.UUID | None = None, roles: list[str] | None = None, ttl: int = 900
    ) -> str:
        return issue_access_token(
            self.key,
            subject=str(user_id or uuid.uuid4()),
            issuer=self.issuer,
            audience=self.audience,
            ttl_seconds=ttl,
            roles=roles,
        )

    def headers(self, user_id: uuid.UUID, roles: list[str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, roles)}"}

    def verifier(self) -> TokenVerifier:
        async def fetch() -> dict[str, Any]:
            return jwks([self.key])

        return TokenVerifier(fetch, issuer=self.issuer, audience=self.audience)
