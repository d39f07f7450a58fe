"""``Idempotency-Key`` for mutations: a repeat with the same key and body returns the first
answer and changes nothing; the same key with another body is a 422.

The key is claimed in the same transaction as the mutation (``INSERT ... ON CONFLICT``),
so two racing requests with one key cannot both apply: the loser waits on the row lock and
then sees the stored answer.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Column, DateTime, Integer, String, Table, Uuid, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import new_metadata
from bourse.common.errors import Problem

metadata = new_metadata()

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession, user_id: UUID, key: str, fingerprint: str
) -> StoredResponse | None:
    """Claim ``key`` for this request inside the caller's transaction. Returns the stored
    answer when the key was used before with the same request (replay)."""
    if not key or len(key) > 255:
        raise Problem(422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 characters")
    inserted = await session.scalar(
        insert(idempotency_keys)
        .values(user_id=user_id, key=key, request_hash=fingerprint)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    if inserted is not None:
        return None
    row = (
        await session.execute(
            select(idempotency_keys)
            .where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
            .with_for_update()
        )
    ).one()
    if row.request_hash != fingerprint:
        raise Problem(
            422, "idempotency_key_reused", "this Idempotency-Key was used for another request"
        )
    if row.status_code is None:
        raise Problem(
            409, "request_in_progress", "a request with this Idempotency-Key is in progress"
        )
    return StoredResponse(row.status_code, row.response)


async def remember(
    session: AsyncSession, user_id: UUID, key: str, status_code: int, body: Any
) -> None:
    await session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
        .values(status_code=status_code, response=body)
    )
