"""Shard snapshots (books + what the journal alone would not give back) and the
``published_upto`` marker.

A snapshot file is a magic line, one JSON header line (journal seq and epoch, instrument
specs, dedupe ids, pending stop sides, and the length and CRC of the books), then the engine's
snapshot bytes of every book. Written to a temporary file, fsynced, renamed: a reader sees
a whole snapshot or none. A corrupt newest snapshot falls back to the one before it, which
is why two are kept (with the journal segments after the older one).
"""

import json
import logging
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bourse.exchange_server.journal import fsync_dir

log = logging.getLogger(__name__)

MAGIC = b"BOURSE-SHARD-SNAPSHOT/1\n"
PREFIX, SUFFIX = "snapshot-", ".snap"
KEEP = 2
PUBLISHED = "published_upto"


class ShardSnapshotError(ValueError):
    """Not a readable shard snapshot."""


@dataclass(frozen=True)
class ShardSnapshot:
    seq: int  # the last journal entry it contains
    shard: int
    books: bytes  # bourse.matching snapshot bytes of every book
    instruments: list[dict[str, Any]] = field(default_factory=list)  # InstrumentChanged JSON
    dedupe: list[str] = field(default_factory=list)  # command message ids still remembered
    stop_sides: dict[str, dict[str, str]] = field(default_factory=dict)  # symbol -> id -> side
    epoch: str | None = None  # the journal's identity (None: taken before epochs)

    def to_bytes(self) -> bytes:
        header = {
            "seq": self.seq,
            "shard": self.shard,
            "epoch": self.epoch,
            "instruments": self.instruments,
            "dedupe": self.dedupe,
            "stop_sides": self.stop_sides,
            "books_len": len(self.books),
            "books_crc": zlib.crc32(self.books),
        }
        return MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + self.books

    @classmethod
    def from_bytes(cls, data: bytes) -> "ShardSnapshot":
        if not data.startswith(MAGIC):
            raise ShardSnapshotError("bad magic")
        end = data.find(b"\n", len(MAGIC))
        try:
            header = json.loads(data[len(MAGIC) : end])
        except ValueError as exc:
            raise ShardSnapshotError(f"bad header: {exc}") from exc
        books = data[end + 1 :]
        if len(books) != header["books_len"] or zlib.crc32(books) != header["books_crc"]:
            raise ShardSnapshotError("books truncated or corrupt")
        return cls(
            seq=header["seq"],
            shard=header["shard"],
            books=books,
            instruments=header["instruments"],
            dedupe=header["dedupe"],
            stop_sides=header["stop_sides"],
            epoch=header.get("epoch"),
        )


def snapshot_path(directory: Path, seq: int) -> Path:
    return directory / f"{PREFIX}{seq:012d}{SUFFIX}"


def list_snapshots(directory: Path) -> list[tuple[int, Path]]:
    """(seq, path) of every snapshot, oldest first."""
    found = []
    for path in directory.glob(f"{PREFIX}*{SUFFIX}"):
        digits = path.name[len(PREFIX) : -len(SUFFIX)]
        if digits.isdigit():
            found.append((int(digits), path))
    return sorted(found)


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as file:
        file.write(data)
        if durable:
            file.flush()
            os.fsync(file.fileno())
    os.replace(tmp, path)
    if durable:
        fsync_dir(path.parent)


def write_snapshot(directory: Path, snapshot: ShardSnapshot) -> int:
    """Write ``snapshot`` durably, delete all but the newest ``KEEP``; returns the seq
    up to which the journal is no longer needed (0: keep it all)."""
    write_atomically(snapshot_path(directory, snapshot.seq), snapshot.to_bytes())
    kept = list_snapshots(directory)
    for _, path in kept[:-KEEP]:
        path.unlink()
    kept = kept[-KEEP:]
    return kept[0][0] if len(kept) == KEEP else 0


def load_newest(directory: Path) -> ShardSnapshot | None:
    """The newest readable snapshot (an unreadable one is skipped loudly), or None."""
    for seq, path in reversed(list_snapshots(directory)):
        try:
            snapshot = ShardSnapshot.from_bytes(path.read_bytes())
        except (ShardSnapshotError, KeyError, OSError) as exc:
            log.error("snapshot %s unreadable, trying an older one: %r", path, exc)
            continue
        if snapshot.seq == seq:
            return snapshot
        log.error("snapshot %s holds seq %d; skipped", path, snapshot.seq)
    return None


def read_published(directory: Path) -> int:
    """The journal seq up to which every message is known to be published (0: unknown)."""
    try:
        return int((directory / PUBLISHED).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def write_published(directory: Path, seq: int) -> None:
    """Atomic but not fsynced: the marker only saves re-publishing after a crash; a stale
    one costs duplicates that consumers drop (same message ids), never a loss."""
    write_atomically(directory / PUBLISHED, f"{seq}\n".encode(), durable=False)
