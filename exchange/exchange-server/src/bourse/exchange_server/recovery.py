"""Rebuilding a shard after a stop or a crash: newest readable snapshot, then every
journal entry after it through the same :meth:`ShardState.apply` as live (each entry
exactly once), then the messages of the entries not known to be published."""

import logging
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from bourse.exchange_server.epoch import establish
from bourse.exchange_server.journal import JournalCorruptError, cut_torn_tail, read_entries
from bourse.exchange_server.reports import MessageBatch, Outgoing
from bourse.exchange_server.snapshots import load_newest, read_published
from bourse.exchange_server.state import ShardState

log = logging.getLogger(__name__)


class WrongShardError(RuntimeError):
    """The directory holds another shard's journal."""


@dataclass
class Recovered:
    state: ShardState
    snapshot_seq: int  # the journal continues after this snapshot
    published: int  # every message of entries up to here is known to be published
    unpublished: list[Outgoing]  # the messages of the entries after it, to publish again
    replayed: int


def recover(directory: Path, shard: int, shards: int, depth: int) -> Recovered:
    """Blocking (file reads): run it in a worker thread."""
    snapshot = load_newest(directory)
    if snapshot is not None and snapshot.shard != shard:
        raise WrongShardError(f"{directory} holds shard {snapshot.shard}, not {shard}")
    epoch = establish(directory, UUID(snapshot.epoch) if snapshot and snapshot.epoch else None)
    state = (
        ShardState.from_snapshot(snapshot, shards, epoch)
        if snapshot
        else ShardState(shard, shards, epoch)
    )
    base = state.seq
    marker = read_published(directory)
    # A snapshot is only taken once everything in it was published.
    published = max(marker, base)
    batch = MessageBatch(state, depth)
    replayed = 0
    for entry in read_entries(directory, after=base):
        applied = state.apply(entry)
        replayed += 1
        if applied is not None and entry.seq > published:
            batch.add(applied)
    cut_torn_tail(directory)
    if marker > state.seq:
        raise JournalCorruptError(
            f"{directory}: messages up to seq {marker} of journal {epoch} were published, but "
            f"the journal ends at {state.seq}: it lost entries. Continuing would reuse those "
            "seqs; to start a new journal, empty the whole directory (EPOCH included)."
        )
    log.info(
        "shard %d recovered journal %s: snapshot %d, %d entries replayed, at seq %d,"
        " published to %d",
        shard,
        epoch,
        base,
        replayed,
        state.seq,
        published,
    )
    return Recovered(state, base, published, batch.close(), replayed)
