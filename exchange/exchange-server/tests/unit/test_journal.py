"""The journal: group commit, reading back, torn tails, corruption, segments."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bourse.contracts.ids import uuid7
from bourse.exchange_server.journal import (
    JournalCorruptError,
    JournalEntry,
    JournalWriter,
    cut_torn_tail,
    list_segments,
    prune_segments,
    read_entries,
)


def entries(first: int, count: int) -> list[JournalEntry]:
    now = datetime.now(UTC)
    return [
        JournalEntry(seq, uuid7(), now, "corr", command={"symbol": "AAPL", "op": "cancel"})
        for seq in range(first, first + count)
    ]


def last_segment(directory: Path) -> Path:
    return list_segments(directory)[-1][1]


def test_a_batch_is_appended_fsynced_and_read_back(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, covered=0)
    batch = entries(1, 3)
    assert writer.append(batch) >= 0  # the fsync's seconds
    writer.append(entries(4, 2))
    writer.close()
    read = list(read_entries(tmp_path, after=0))
    assert [e.seq for e in read] == [1, 2, 3, 4, 5]
    assert read[:3] == batch
    assert [e.seq for e in read_entries(tmp_path, after=3)] == [4, 5]


def test_instrument_entries_round_trip(tmp_path: Path) -> None:
    entry = JournalEntry(1, uuid7(), datetime.now(UTC), instrument={"symbol": "AAPL"})
    assert JournalEntry.from_line(entry.to_line()) == entry


@pytest.mark.parametrize("tail", [b'{"seq":4,"message_id":"ab', b"\x00\x00\x00", b"{bad}\n"])
def test_a_torn_last_line_is_ignored_then_cut_off(tmp_path: Path, tail: bytes) -> None:
    writer = JournalWriter(tmp_path, covered=0)
    writer.append(entries(1, 3))
    writer.close()
    with last_segment(tmp_path).open("ab") as file:
        file.write(tail)
    assert [e.seq for e in read_entries(tmp_path, after=0)] == [1, 2, 3]
    cut_torn_tail(tmp_path)
    writer = JournalWriter(tmp_path, covered=0)  # resumes the segment on a line boundary
    writer.append(entries(4, 1))
    writer.close()
    assert [e.seq for e in read_entries(tmp_path, after=0)] == [1, 2, 3, 4]


def test_a_bad_line_before_the_end_is_corruption(tmp_path: Path) -> None:
    path = tmp_path / "journal-000000000001.jsonl"
    good = b"".join(e.to_line() for e in entries(1, 2))
    path.write_bytes(b"garbage\n" + good)
    with pytest.raises(JournalCorruptError):
        list(read_entries(tmp_path, after=0))


def test_a_gap_in_seqs_is_corruption(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, covered=0)
    writer.append(entries(1, 2))
    writer.append(entries(4, 1))
    writer.close()
    with pytest.raises(JournalCorruptError, match="expected 3"):
        list(read_entries(tmp_path, after=0))


def test_segments_rotate_and_only_covered_ones_are_pruned(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, covered=0)
    writer.append(entries(1, 3))
    writer.rotate(3)  # a snapshot at 3
    writer.append(entries(4, 3))
    writer.rotate(6)  # a snapshot at 6
    writer.append(entries(7, 1))
    writer.close()
    assert [first for first, _ in list_segments(tmp_path)] == [1, 4, 7]
    assert [e.seq for e in read_entries(tmp_path, after=0)] == list(range(1, 8))
    prune_segments(tmp_path, covered_upto=3)  # the older kept snapshot is at 3
    assert [first for first, _ in list_segments(tmp_path)] == [4, 7]
    assert [e.seq for e in read_entries(tmp_path, after=3)] == list(range(4, 8))


def test_a_new_writer_resumes_the_segment_after_the_snapshot(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, covered=0)
    writer.append(entries(1, 2))
    writer.close()
    JournalWriter(tmp_path, covered=0).close()  # recovery without a snapshot: same segment
    assert len(list_segments(tmp_path)) == 1
    JournalWriter(tmp_path, covered=2).close()  # a snapshot at 2: a new segment
    assert [first for first, _ in list_segments(tmp_path)] == [1, 3]
