"""Shard snapshots: round trip, fallback to the older one, two kept; the published marker."""

from pathlib import Path

from bourse.exchange_server.snapshots import (
    ShardSnapshot,
    list_snapshots,
    load_newest,
    read_published,
    write_published,
    write_snapshot,
)


def snapshot(seq: int) -> ShardSnapshot:
    return ShardSnapshot(
        seq=seq,
        shard=0,
        books=b"BOOKS" * seq,
        instruments=[{"symbol": "AAPL", "tick_size": "0.01"}],
        dedupe=["0190a2b4-0000-7000-8000-000000000001"],
        stop_sides={"AAPL": {"7": "buy"}},
    )


def test_round_trip(tmp_path: Path) -> None:
    write_snapshot(tmp_path, snapshot(5))
    assert load_newest(tmp_path) == snapshot(5)


def test_two_are_kept_and_the_older_one_bounds_the_journal(tmp_path: Path) -> None:
    assert write_snapshot(tmp_path, snapshot(3)) == 0  # one snapshot: keep every segment
    assert write_snapshot(tmp_path, snapshot(6)) == 3
    assert write_snapshot(tmp_path, snapshot(9)) == 6
    assert [seq for seq, _ in list_snapshots(tmp_path)] == [6, 9]


def test_a_corrupt_newest_snapshot_falls_back_to_the_older(tmp_path: Path) -> None:
    write_snapshot(tmp_path, snapshot(3))
    write_snapshot(tmp_path, snapshot(6))
    newest = list_snapshots(tmp_path)[-1][1]
    newest.write_bytes(newest.read_bytes()[:-2])  # truncated books
    assert load_newest(tmp_path) == snapshot(3)
    newest.write_bytes(b"garbage")
    assert load_newest(tmp_path) == snapshot(3)


def test_no_snapshot(tmp_path: Path) -> None:
    assert load_newest(tmp_path) is None


def test_published_marker(tmp_path: Path) -> None:
    assert read_published(tmp_path) == 0
    write_published(tmp_path, 42)
    write_published(tmp_path, 43)
    assert read_published(tmp_path) == 43
    (tmp_path / "published_upto").write_text("junk")
    assert read_published(tmp_path) == 0
