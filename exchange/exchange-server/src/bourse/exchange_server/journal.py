"""The command journal: this service's source of truth.

Every command is appended here, and the file fsynced (once per batch: group commit),
before the engine sees it. The books are rebuilt from the newest snapshot plus the
entries after it. One JSON object per line::

    {"seq": 42, "message_id": "...", "ts": "...", "correlation_id": "...", "command": {...}}

(``"instrument": {...}`` instead of ``"command"`` records an instrument spec.) The journal
is cut into segments ``journal-<first seq>.jsonl``; a new one starts after each snapshot,
so segments older than the kept snapshots can be deleted whole.

A crash can tear the last line of the last segment (no newline, or not JSON). That batch
was never fsynced, so never applied, published or acked: the torn line is dropped, and
cut off before appending again. Anything else unreadable is corruption: recovery stops
rather than guess.
"""

import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID

SEGMENT_PREFIX = "journal-"
SEGMENT_SUFFIX = ".jsonl"


class JournalCorruptError(RuntimeError):
    """The journal cannot be trusted (a bad entry before the end, or a gap in seqs)."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    message_id: UUID
    ts: datetime  # when it was journaled: the time of every message it causes
    correlation_id: str | None = None
    command: dict[str, Any] | None = None  # an ExchangeCommand, as JSON
    instrument: dict[str, Any] | None = None  # an InstrumentChanged, as JSON

    def to_line(self) -> bytes:
        out: dict[str, Any] = {
            "seq": self.seq,
            "message_id": str(self.message_id),
            "ts": self.ts.isoformat(),
            "correlation_id": self.correlation_id,
        }
        if self.command is not None:
            out["command"] = self.command
        if self.instrument is not None:
            out["instrument"] = self.instrument
        return json.dumps(out, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> "JournalEntry":
        """Raises ``ValueError`` (or a subclass) for anything that is not an entry."""
        raw = json.loads(line)
        if not isinstance(raw, dict) or type(raw.get("seq")) is not int:
            raise ValueError("not a journal entry")
        return cls(
            seq=raw["seq"],
            message_id=UUID(raw["message_id"]),
            ts=datetime.fromisoformat(raw["ts"]),
            correlation_id=raw.get("correlation_id"),
            command=raw.get("command"),
            instrument=raw.get("instrument"),
        )


def segment_path(directory: Path, first_seq: int) -> Path:
    return directory / f"{SEGMENT_PREFIX}{first_seq:012d}{SEGMENT_SUFFIX}"


def list_segments(directory: Path) -> list[tuple[int, Path]]:
    """(first seq, path) of every segment, oldest first."""
    found = []
    for path in directory.glob(f"{SEGMENT_PREFIX}*{SEGMENT_SUFFIX}"):
        digits = path.name[len(SEGMENT_PREFIX) : -len(SEGMENT_SUFFIX)]
        if digits.isdigit():
            found.append((int(digits), path))
    return sorted(found)


def scan_segment(path: Path, *, last: bool) -> tuple[list[JournalEntry], int]:
    """The entries of one segment and the byte length they span. Only the ``last``
    segment may end with a torn line (it is excluded from that length)."""
    data = path.read_bytes()
    entries: list[JournalEntry] = []
    offset = 0
    while offset < len(data):
        end = data.find(b"\n", offset)
        final = end < 0 or end == len(data) - 1
        try:
            if end < 0:
                raise ValueError("no newline: torn write")
            entries.append(JournalEntry.from_line(data[offset:end]))
        except ValueError as exc:
            if last and final:
                break
            raise JournalCorruptError(f"{path}: bad entry at byte {offset}: {exc}") from exc
        offset = end + 1
    return entries, offset


def read_entries(directory: Path, after: int) -> Iterator[JournalEntry]:
    """Every entry with ``seq > after``, in order; raises on a gap (a missing segment)."""
    segments = list_segments(directory)
    expected = after + 1
    for index, (_first, path) in enumerate(segments):
        entries, _ = scan_segment(path, last=index == len(segments) - 1)
        for entry in entries:
            if entry.seq <= after:
                continue
            if entry.seq != expected:
                raise JournalCorruptError(f"{path}: seq {entry.seq}, expected {expected}")
            expected += 1
            yield entry


def cut_torn_tail(directory: Path) -> None:
    """Drop a torn last line of the last segment, so appends start on a line boundary."""
    segments = list_segments(directory)
    if not segments:
        return
    path = segments[-1][1]
    _, valid = scan_segment(path, last=True)
    if valid < path.stat().st_size:
        with path.open("r+b") as file:
            file.truncate(valid)
            os.fsync(file.fileno())


def fsync_dir(directory: Path) -> None:
    """Make a created, renamed or deleted name durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournalWriter:
    """Appends batches to the current segment. Blocking: call from a worker thread.

    ``covered`` is the seq of the snapshot the journal continues from: the last segment
    is resumed if it starts after it, otherwise segment ``covered + 1`` is started."""

    def __init__(self, directory: Path, covered: int) -> None:
        self.directory = directory
        self._file = self._open(covered)

    def _open(self, covered: int) -> Any:
        segments = list_segments(self.directory)
        if segments and segments[-1][0] > covered:
            return segments[-1][1].open("ab")
        file = segment_path(self.directory, covered + 1).open("ab")
        fsync_dir(self.directory)
        return file

    def append(self, entries: Sequence[JournalEntry]) -> float:
        """Write the batch and fsync it; returns the seconds the fsync took."""
        self._file.write(b"".join(entry.to_line() for entry in entries))
        self._file.flush()
        start = time.perf_counter()
        os.fsync(self._file.fileno())
        return time.perf_counter() - start

    def rotate(self, covered: int) -> None:
        """Start a new segment after the snapshot of seq ``covered``."""
        self._file.close()
        self._file = self._open(covered)

    def close(self) -> None:
        self._file.close()


def prune_segments(directory: Path, covered_upto: int) -> list[Path]:
    """Delete the segments whose every entry is ``<= covered_upto`` (inside a snapshot
    that is kept); the last segment always stays."""
    segments = list_segments(directory)
    doomed = [
        path for (_, path), (next_first, _) in pairwise(segments) if next_first <= covered_upto + 1
    ]
    for path in doomed:
        path.unlink()
    if doomed:
        fsync_dir(directory)
    return doomed
