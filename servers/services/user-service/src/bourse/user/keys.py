"""The signing key ring, shared by every user-service instance through the database.

On start an instance creates a key only when none is active; all instances then sign
with the newest active key and publish every active one, so tokens signed by any
instance (or by a key being rotated out) verify everywhere."""

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auth.signing import SigningKey, jwks
from bourse.user.db import signing_keys

KEY_RING_LOCK = 0x0B0B60  # advisory lock key in user-service's database


class KeyRing:
    def __init__(self, keys: list[SigningKey]) -> None:
        assert keys, "a key ring needs at least one key"
        self.keys = keys  # newest first

    @property
    def current(self) -> SigningKey:
        return self.keys[0]

    def jwks(self) -> dict[str, Any]:
        return jwks(self.keys)

    @classmethod
    async def load(cls, session: AsyncSession) -> "KeyRing":
        # Instances starting together on an empty table would each lock nothing (FOR
        # UPDATE on no row), each create a key and each know only its own: tokens one
        # signs would not verify on the other. A transaction lock makes them take turns.
        await session.execute(select(func.pg_advisory_xact_lock(KEY_RING_LOCK)))
        rows = await _active(session)
        if not rows:
            key = SigningKey.generate()
            await session.execute(
                insert(signing_keys).values(kid=key.kid, private_pem=key.private_pem())
            )
            rows = await _active(session)
        return cls([SigningKey.from_pem(row.kid, row.private_pem) for row in rows])


async def _active(session: AsyncSession) -> list[Any]:
    query = (
        select(signing_keys)
        .where(signing_keys.c.retired_at.is_(None))
        .order_by(signing_keys.c.created_at.desc(), signing_keys.c.kid)
    )
    return list((await session.execute(query)).all())
