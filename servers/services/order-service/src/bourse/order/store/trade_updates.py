"""Trade updates in PostgreSQL: each user's stream and its counter. Every read is scoped
by the user id.

:func:`append_all` numbers a batch's updates and writes them in the caller's transaction
with two statements whatever the batch holds: one moves the users' counters on (and locks
them), one stores the updates and NOTIFYs :data:`CHANNEL` once per user with the user's
new last seq; listeners hear of it only when that transaction commits."""

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

import asyncpg

from bourse.common.db import unnest_columns
from bourse.order.domain.trade_updates import TradeUpdate

CHANNEL = "bourse_trade_updates"


class Stored(NamedTuple):
    user_id: UUID
    seq: int
    message: str  # JSON text, as sent


# Counters created on a user's first update, moved on by the batch's count otherwise; the
# rows are locked in the order given (user id order: no two batches wait on each other).
_BUMP_COUNTERS = """
INSERT INTO trade_update_counters AS c (user_id, last_seq)
SELECT * FROM unnest($1::uuid[], $2::bigint[])
ON CONFLICT (user_id) DO UPDATE SET last_seq = c.last_seq + EXCLUDED.last_seq
RETURNING user_id, last_seq
"""
# The INSERT in the WITH runs although the query does not read it (PostgreSQL runs every
# data-modifying WITH once, to completion).
_ADD_AND_NOTIFY = """
WITH added AS (
    INSERT INTO trade_updates (user_id, seq, event, message)
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::json[])
)
SELECT pg_notify($5, notice) FROM unnest($6::text[]) AS notice
"""


async def append_all(pg: asyncpg.Connection, updates: Sequence[TradeUpdate]) -> list[Stored]:
    """Give each update the next seq of its user, in order, and store them all."""
    if not updates:
        return []
    counts = Counter(update.user_id for update in updates)
    users = sorted(counts)
    bumped = await pg.fetch(_BUMP_COUNTERS, users, [counts[user] for user in users])
    last = {row[0]: row[1] for row in bumped}
    seq = {user: last[user] - counts[user] for user in users}  # the seq before the batch
    stored = []
    for update in updates:
        seq[update.user_id] += 1
        number = seq[update.user_id]
        stored.append(Stored(update.user_id, number, json.dumps(update.numbered(number))))
    rows = [(s.user_id, s.seq, u.event, s.message) for s, u in zip(stored, updates, strict=True)]
    notices = [json.dumps({"user_id": str(user), "seq": last[user]}) for user in users]
    await pg.execute(_ADD_AND_NOTIFY, *unnest_columns(rows), CHANNEL, notices)
    return stored


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
