"""Instances that start together on an empty key table end with one shared key: a token
one of them signs verifies on every other."""

import asyncio

from bourse.common.db import Database
from bourse.testing.infra import migrated_database
from bourse.user.keys import KeyRing
from bourse.user.main import MIGRATIONS

INSTANCES = 4


async def _load(db: Database) -> list[str]:
    async with db.transaction() as session:
        ring = await KeyRing.load(session)
    return [key.kid for key in ring.keys]


async def test_instances_starting_together_share_one_key() -> None:
    async with migrated_database("bourse_user_keys", MIGRATIONS, pool_size=INSTANCES) as db:
        rings = await asyncio.gather(*(_load(db) for _ in range(INSTANCES)))
    assert len(rings[0]) == 1
    assert all(ring == rings[0] for ring in rings)
