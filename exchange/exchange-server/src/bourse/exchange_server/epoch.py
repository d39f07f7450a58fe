"""The journal's identity: an epoch (a UUIDv7) created with the journal.

Seqs start again at 1 in every new journal, so every id derived from the journal
(message ids, trade ids) also carries the epoch: a new journal can never produce an id
that a consumer has already recorded. The epoch is written to ``EPOCH`` in the shard
directory when the journal is first created, and kept in every snapshot: recovery from
snapshot + journal keeps it, an empty directory gets a new one.

A directory whose journal is gone while its epoch stayed (``published_upto`` beyond
anything left to recover) is refused: continuing would number new entries with seqs that
were already published under that epoch.
"""

import logging
from pathlib import Path
from uuid import UUID

from bourse.contracts.ids import uuid7
from bourse.exchange_server.journal import JournalCorruptError, list_segments
from bourse.exchange_server.snapshots import list_snapshots, write_atomically

log = logging.getLogger(__name__)

EPOCH_FILE = "EPOCH"


def read_epoch(directory: Path) -> UUID | None:
    """The epoch recorded in ``directory`` (None: no journal was created there yet)."""
    try:
        text = (directory / EPOCH_FILE).read_text().strip()
    except FileNotFoundError:
        return None
    try:
        return UUID(text)
    except ValueError as exc:
        raise JournalCorruptError(f"{directory / EPOCH_FILE}: not an epoch: {text!r}") from exc


def write_epoch(directory: Path, epoch: UUID) -> None:
    write_atomically(directory / EPOCH_FILE, f"{epoch}\n".encode())


def has_journal(directory: Path) -> bool:
    """Anything a journal leaves: segments or snapshots."""
    return bool(list_segments(directory) or list_snapshots(directory))


def establish(directory: Path, from_snapshot: UUID | None) -> UUID:
    """The epoch of the journal in ``directory``, created (and made durable) when there is
    none yet. ``from_snapshot``: the epoch the newest snapshot holds, if any."""
    recorded = read_epoch(directory)
    if recorded is not None and from_snapshot is not None and recorded != from_snapshot:
        raise JournalCorruptError(
            f"{directory}: {EPOCH_FILE} says {recorded} but the snapshot was taken in "
            f"journal {from_snapshot}: files of two journals are mixed"
        )
    epoch = recorded or from_snapshot
    if epoch is None:
        epoch = uuid7()
        if has_journal(directory):
            log.warning("%s: a journal from before epochs; it is now epoch %s", directory, epoch)
        else:
            log.info("%s: a new journal, epoch %s", directory, epoch)
    if recorded is None:
        write_epoch(directory, epoch)
    return epoch
