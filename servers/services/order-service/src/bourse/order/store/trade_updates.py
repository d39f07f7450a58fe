"""Trade updates in PostgreSQL: each user's stream and its counter. Every read is scoped
by the user id.

:func:`append_all` numbers a batch's updates and writes them with one statement per
table, in the caller's transaction, and NOTIFYs :data:`CHANNEL` once per user with the
user's new last seq: listeners hear of it only when that transaction commits."""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

import asyncpg

from bourse.common.db import fetch_or_create_all, unnest_columns
from bourse.order.domain.trade_updates import TradeUpdate

CHANNEL = "bourse_trade_updates"


class Stored(NamedTuple):
    user_id: UUID
    seq: int
    message: str  # JSON text, as sent


_LOCK_COUNTERS = """
SELECT user_id, last_seq FROM trade_update_counters WHERE user_id = ANY($1::uuid[])
ORDER BY user_id FOR UPDATE
"""
_CREATE_COUNTERS = """
INSERT INTO trade_update_counters (user_id, last_seq) SELECT unnest($1::uuid[]), 0
ON CONFLICT DO NOTHING
"""
_ADD_ALL = """
INSERT INTO trade_updates (user_id, seq, event, message)
SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::json[])
"""
_SAVE_COUNTERS = """
UPDATE trade_update_counters c SET last_seq = u.last_seq
FROM unnest($1::uuid[], $2::bigint[]) AS u(user_id, last_seq) WHERE c.user_id = u.user_id
"""
_NOTIFY_ALL = "SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message"


async def append_all(pg: asyncpg.Connection, updates: Sequence[TradeUpdate]) -> list[Stored]:
    """Give each update the next seq of its user, in order, and store them all; the
    batch's users' counters are locked once, in user id order."""
    if not updates:
        return []
    users = sorted({update.user_id for update in updates})
    last = dict(await _counters(pg, users))
    stored = []
    for update in updates:
        last[update.user_id] += 1
        seq = last[update.user_id]
        stored.append(Stored(update.user_id, seq, json.dumps(update.numbered(seq))))
    rows = [(s.user_id, s.seq, u.event, s.message) for s, u in zip(stored, updates, strict=True)]
    await pg.execute(_ADD_ALL, *unnest_columns(rows))
    await pg.execute(_SAVE_COUNTERS, users, [last[user] for user in users])
    notices = [json.dumps({"user_id": str(user), "seq": last[user]}) for user in users]
    await pg.execute(_NOTIFY_ALL, CHANNEL, notices)
    return stored


async def _counters(pg: asyncpg.Connection, users: list[UUID]) -> Mapping[UUID, int]:
    async def lock(keys: list[UUID]) -> dict[UUID, int]:
        return {row[0]: row[1] for row in await pg.fetch(_LOCK_COUNTERS, keys)}

    async def create(keys: list[UUID]) -> None:
        await pg.execute(_CREATE_COUNTERS, keys)

    return await fetch_or_create_all(lock, create, users)


_LAST_SEQ = "SELECT last_seq FROM trade_update_counters WHERE user_id = $1"
_PAGE = """
SELECT user_id, seq, message::text FROM trade_updates
WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
"""
_AFTER_EACH = """
SELECT t.user_id, t.seq, t.message::text
FROM unnest($1::uuid[], $2::bigint[]) AS a(user_id, after)
CROSS JOIN LATERAL (
    SELECT user_id, seq, message FROM trade_updates u
    WHERE u.user_id = a.user_id AND u.seq > a.after ORDER BY u.seq LIMIT $3
) t
ORDER BY t.user_id, t.seq
"""
_PRUNE = """
DELETE FROM trade_updates WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM trade_updates WHERE created_at < $1 LIMIT $2
))
"""


async def last_seq(pg: asyncpg.Connection, user_id: UUID) -> int:
    """The user's last seq (0 before the first update)."""
    return int(await pg.fetchval(_LAST_SEQ, user_id) or 0)


async def page(pg: asyncpg.Connection, user_id: UUID, after: int, limit: int) -> list[Stored]:
    """The user's updates after seq ``after``, oldest first, at most ``limit``."""
    return [Stored(*row) for row in await pg.fetch(_PAGE, user_id, after, limit)]


async def after_each(
    pg: asyncpg.Connection, positions: Mapping[UUID, int], limit: int
) -> list[Stored]:
    """For each user, their updates after their position, oldest first (at most ``limit``
    each), with one statement."""
    users = list(positions)
    rows = await pg.fetch(_AFTER_EACH, users, [positions[user] for user in users], limit)
    return [Stored(*row) for row in rows]


async def prune(pg: asyncpg.Connection, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` updates stored before ``before``; how many went."""
    status = await pg.execute(_PRUNE, before, limit)
    return int(status.split()[-1])
