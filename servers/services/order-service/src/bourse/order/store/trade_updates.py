"""Trade updates in PostgreSQL: each user's stream and its counter. Every read is scoped
by the user id.

:func:`append_all` numbers a batch's updates and writes them in the caller's transaction
with one statement whatever the batch holds: it moves the users' counters on (and locks
them), stores the updates with their seqs and NOTIFYs :data:`CHANNEL` once per user with
the user's new last seq; listeners hear of it only when that transaction commits."""

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

import asyncpg

from bourse.order.domain.trade_updates import TradeUpdate

CHANNEL = "bourse_trade_updates"


class Stored(NamedTuple):
    user_id: UUID
    seq: int
    message: str  # JSON text, as sent


# The counters are created on a user's first update and moved on by the batch's count
# otherwise; their rows are locked in the order given (user id order: no two batches wait
# on each other). An update's seq counts on, in batch order, from its user's last seq
# before the batch (the new one less the user's updates in the batch). Its message comes
# as JSON text without its closing brace, and the seq goes last, where
# ``TradeUpdate.numbered`` places it. PostgreSQL runs every data-modifying WITH once, to
# completion, although the final SELECT does not read ``added``.
_APPEND = """
WITH bumped AS (
    INSERT INTO trade_update_counters AS c (user_id, last_seq)
    SELECT * FROM unnest($1::uuid[], $2::bigint[])
    ON CONFLICT (user_id) DO UPDATE SET last_seq = c.last_seq + EXCLUDED.last_seq
    RETURNING user_id, last_seq
), numbered AS (
    SELECT u.user_id, u.event, u.opened,
           b.last_seq - count(*) OVER mine + row_number() OVER (mine ORDER BY u.place) AS seq
    FROM unnest($3::uuid[], $4::text[], $5::text[])
         WITH ORDINALITY AS u(user_id, event, opened, place)
    JOIN bumped b USING (user_id)
    WINDOW mine AS (PARTITION BY u.user_id)
), added AS (
    INSERT INTO trade_updates (user_id, seq, event, message)
    SELECT user_id, seq, event, (opened || ', "seq": ' || seq || '}')::json FROM numbered
)
SELECT pg_notify($6, json_build_object('user_id', user_id, 'seq', last_seq)::text) FROM bumped
"""


async def append_all(pg: asyncpg.Connection, updates: Sequence[TradeUpdate]) -> int:
    """Give each update the next seq of its user, in order, and store them all; how many."""
    if not updates:
        return 0
    counts = Counter(update.user_id for update in updates)
    users = sorted(counts)
    await pg.execute(
        _APPEND,
        users,
        [counts[user] for user in users],
        [update.user_id for update in updates],
        [update.event for update in updates],
        [_opened(update) for update in updates],
        CHANNEL,
    )
    return len(updates)


def _opened(update: TradeUpdate) -> str:
    """The update's message as JSON text, its closing brace left for the seq."""
    return json.dumps(update.message)[:-1]


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
