"""The journal's identity (epoch): created with the journal, kept through snapshot +
journal recovery, new for an empty directory; ids of two journals never collide."""

from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

import pytest
from exchange_helpers import command_in, instrument, instrument_in, new, symbols_of

from bourse.contracts.events import (
    ExchangeStarted,
    ExecutionsReported,
    TradeExecuted,
    trade_key,
)
from bourse.exchange_server.core import ShardCore
from bourse.exchange_server.epoch import EPOCH_FILE, read_epoch
from bourse.exchange_server.journal import JournalCorruptError, list_segments
from bourse.exchange_server.reports import Outgoing, started
from bourse.exchange_server.snapshots import list_snapshots, load_newest

SYM = symbols_of(0, 1, 1)[0]


async def opened(directory: Path, snapshot_every: int = 1000) -> ShardCore:
    core = ShardCore(directory, 0, 1, snapshot_every=snapshot_every)
    await core.open()
    return core


async def trade_once(core: ShardCore) -> list[Outgoing]:
    """The same commands in any journal: an instrument, then a resting sell and a cross."""
    out: list[Outgoing] = []
    for items in (
        [instrument_in(instrument(SYM))],
        [command_in(new(SYM, 1, "sell", 100, 5, owner="s"))],
        [command_in(new(SYM, 2, "buy", 100, 3, owner="b"))],
    ):
        commit = await core.commit(items)
        core.mark_published(commit.seq)
        await core.snapshot_if_due()
        out += commit.messages
    return out


def ids(messages: Sequence[Outgoing]) -> set[UUID]:
    return {m.envelope.message_id for m in messages}


def trade_ids(messages: Sequence[Outgoing]) -> set[str]:
    return {
        TradeExecuted.model_validate(m.envelope.payload).trade_id
        for m in messages
        if m.envelope.type == TradeExecuted.TYPE
    }


async def test_a_new_directory_gets_a_new_epoch_written_before_anything_else(
    tmp_path: Path,
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    first, second = await opened(one), await opened(two)
    assert first.state.epoch != second.state.epoch
    assert read_epoch(one) == first.state.epoch and read_epoch(two) == second.state.epoch
    assert first.state.epoch.version == 7
    first.close()
    second.close()


@pytest.mark.parametrize("snapshot_every", [1, 1000])
async def test_the_epoch_survives_recovery_from_snapshot_and_journal(
    tmp_path: Path, snapshot_every: int
) -> None:
    core = await opened(tmp_path, snapshot_every)
    epoch = core.state.epoch
    await trade_once(core)
    core.close()
    if snapshot_every == 1:
        snapshot = load_newest(tmp_path)
        assert snapshot is not None and snapshot.epoch == str(epoch)
    again = await opened(tmp_path, snapshot_every)
    assert again.state.epoch == epoch and again.state.seq == 3
    again.close()


async def test_a_lost_epoch_file_comes_back_from_the_snapshot(tmp_path: Path) -> None:
    core = await opened(tmp_path, snapshot_every=1)
    epoch = core.state.epoch
    await trade_once(core)
    core.close()
    (tmp_path / EPOCH_FILE).unlink()
    again = await opened(tmp_path)
    assert again.state.epoch == epoch and read_epoch(tmp_path) == epoch
    again.close()


async def test_two_journals_with_the_same_seqs_never_share_an_id(tmp_path: Path) -> None:
    first = await opened(tmp_path / "old")
    second = await opened(tmp_path / "new")
    old, new_ = await trade_once(first), await trade_once(second)
    assert first.state.seq == second.state.seq  # the very same seqs...
    assert ids(old) and not ids(old) & ids(new_)  # ...but no message id in common
    assert len(trade_ids(old)) == 1 and not trade_ids(old) & trade_ids(new_)
    (trade,) = trade_ids(new_)
    assert trade == trade_key(SYM, 3, second.state.epoch)
    reports = [
        ExecutionsReported.model_validate(m.envelope.payload)
        for m in new_
        if m.envelope.type == ExecutionsReported.TYPE
    ]
    assert {(r.epoch, r.shard) for r in reports} == {(second.state.epoch, 0)}
    first.close()
    second.close()


async def test_the_start_announcement_names_the_journal(tmp_path: Path) -> None:
    core = await opened(tmp_path)
    await trade_once(core)
    announcement = started(core.state)
    payload = ExchangeStarted.model_validate(announcement.envelope.payload)
    assert (payload.shard, payload.shards, payload.epoch, payload.seq) == (
        0,
        1,
        core.state.epoch,
        3,
    )
    assert announcement.routing_key == "execution.started.shard-0"
    assert started(core.state).envelope.message_id == announcement.envelope.message_id
    core.close()


async def test_a_journal_that_lost_published_entries_is_refused(tmp_path: Path) -> None:
    core = await opened(tmp_path)
    await trade_once(core)
    core.close()
    for _, path in list_segments(tmp_path) + list_snapshots(tmp_path):
        path.unlink()  # the journal is gone, its EPOCH and published_upto stayed
    with pytest.raises(JournalCorruptError, match="lost entries"):
        await opened(tmp_path)
