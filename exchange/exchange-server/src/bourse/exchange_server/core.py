"""The shard without the broker: lock, recovery, group commit, snapshots.

Invariants:

* an entry is fsynced before it is applied; the engine only ever sees journaled commands;
* a command message id is journaled at most once (the dedupe window);
* a snapshot only covers entries whose messages were all published, so recovery only
  re-publishes entries after ``max(published_upto, snapshot seq)``.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from bourse.exchange_server import metrics
from bourse.exchange_server.intake import CommandIn, Inbound
from bourse.exchange_server.journal import JournalEntry, JournalWriter, prune_segments
from bourse.exchange_server.lock import DirectoryLock
from bourse.exchange_server.recovery import recover
from bourse.exchange_server.reports import MessageBatch, Outgoing
from bourse.exchange_server.snapshots import ShardSnapshot, write_published, write_snapshot
from bourse.exchange_server.state import ShardState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Commit:
    messages: list[Outgoing]  # to publish, in this order
    seq: int  # the last journal seq after this batch
    journaled: int
    duplicates: int


class ShardCore:
    def __init__(
        self, directory: Path, shard: int, shards: int, *, snapshot_every: int, depth: int = 10
    ) -> None:
        self.directory = directory
        self.shard = shard
        self.shards = shards
        self.snapshot_every = snapshot_every
        self.depth = depth
        self.state = ShardState(shard, shards)
        self.published = 0
        self._snapshot_seq = 0
        self._writer: JournalWriter | None = None
        self._lock = DirectoryLock(directory)
        self._label = str(shard)

    async def open(self) -> list[Outgoing]:
        """Take the directory, rebuild the state; returns the messages to publish again."""
        self.directory.mkdir(parents=True, exist_ok=True)
        await self._lock.acquire()
        try:
            done = await asyncio.to_thread(
                recover, self.directory, self.shard, self.shards, self.depth
            )
            self._writer = JournalWriter(self.directory, done.snapshot_seq)
        except BaseException:
            self._lock.release()
            raise
        self.state, self.published = done.state, done.published
        self._snapshot_seq = done.snapshot_seq
        metrics.JOURNAL_SEQ.labels(self._label).set(self.state.seq)
        return done.unpublished

    async def commit(self, inbound: Sequence[Inbound]) -> Commit:
        """Journal the batch (one fsync), then apply it; returns the messages it causes."""
        entries, duplicates = self._entries(inbound)
        if not entries:
            return Commit([], self.state.seq, 0, duplicates)
        assert self._writer is not None, "open() first"
        seconds = await asyncio.to_thread(self._writer.append, entries)
        metrics.FSYNC_SECONDS.labels(self._label).observe(seconds)
        metrics.BATCH_SIZE.labels(self._label).observe(len(entries))
        batch = MessageBatch(self.state, self.depth)
        for entry in entries:
            applied = self.state.apply(entry)
            if applied is not None:
                batch.add(applied)
        metrics.JOURNAL_SEQ.labels(self._label).set(self.state.seq)
        return Commit(batch.close(), self.state.seq, len(entries), duplicates)

    def _entries(self, inbound: Sequence[Inbound]) -> tuple[list[JournalEntry], int]:
        """Number the batch's new items; drop commands already journaled."""
        now = datetime.now(UTC)
        entries: list[JournalEntry] = []
        seen: set[UUID] = set()
        duplicates = 0
        for item in inbound:
            seq = self.state.seq + len(entries) + 1
            if isinstance(item, CommandIn):
                if item.message_id in self.state.dedupe or item.message_id in seen:
                    duplicates += 1
                    continue
                seen.add(item.message_id)
                command = item.command.model_dump(mode="json")
                entries.append(
                    JournalEntry(seq, item.message_id, now, item.correlation_id, command=command)
                )
            elif self.state.is_news(item.instrument):
                instrument = item.instrument.model_dump(mode="json")
                entries.append(JournalEntry(seq, item.message_id, now, instrument=instrument))
        return entries, duplicates

    def mark_published(self, seq: int) -> None:
        if seq > self.published:
            write_published(self.directory, seq)
            self.published = seq

    async def snapshot_if_due(self) -> bool:
        """Snapshot every ``snapshot_every`` entries, once all of them are published."""
        due = self.state.seq - self._snapshot_seq >= self.snapshot_every
        if not due or self.published < self.state.seq:
            return False
        snapshot = self.state.snapshot()  # here, while the engine cannot change
        await asyncio.to_thread(self._persist, snapshot)
        self._snapshot_seq = snapshot.seq
        metrics.SNAPSHOTS.labels(self._label).inc()
        log.info("shard %d snapshot at seq %d", self.shard, snapshot.seq)
        return True

    def _persist(self, snapshot: ShardSnapshot) -> None:
        assert self._writer is not None
        covered = write_snapshot(self.directory, snapshot)
        self._writer.rotate(snapshot.seq)
        prune_segments(self.directory, covered)

    def close(self) -> None:
        """Release the files (all that is durable already is: nothing to flush)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._lock.release()
