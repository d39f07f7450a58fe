"""Recovery without a broker: snapshot + journal replay equals an uninterrupted run, the
unpublished tail is re-published with the same message ids, nothing applies twice."""

import asyncio
import random
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

import pytest
from exchange_helpers import (
    command_in,
    instrument,
    instrument_in,
    new,
    random_commands,
    reference_books,
    symbols_of,
)

from bourse.contracts.events import BookChanged, ExchangeCommand, ExecutionsReported, TradeExecuted
from bourse.exchange_server.core import ShardCore
from bourse.exchange_server.intake import CommandIn
from bourse.exchange_server.journal import list_segments
from bourse.exchange_server.recovery import WrongShardError
from bourse.exchange_server.reports import Outgoing
from bourse.exchange_server.snapshots import list_snapshots

SYMBOLS = symbols_of(0, 1, 3)


def make_core(directory: Path, snapshot_every: int = 50) -> ShardCore:
    return ShardCore(directory, 0, 1, snapshot_every=snapshot_every)


async def started(directory: Path, snapshot_every: int = 50) -> tuple[ShardCore, list[Outgoing]]:
    core = make_core(directory, snapshot_every)
    return core, await core.open()


async def publish_and_snapshot(core: ShardCore, seq: int) -> None:
    """What the server does after a batch's confirms (the broker itself is not needed)."""
    core.mark_published(seq)
    await core.snapshot_if_due()


def batches(items: Sequence[CommandIn], seed: int) -> list[list[CommandIn]]:
    rng = random.Random(seed)
    out, start = [], 0
    while start < len(items):
        size = rng.randint(1, 40)
        out.append(list(items[start : start + size]))
        start += size
    return out


def books_of(core: ShardCore) -> dict[str, object]:
    return {symbol: book.to_state() for symbol, book in core.state.engine.books.items()}


def by_id(messages: Sequence[Outgoing]) -> dict[UUID, Outgoing]:
    return {m.envelope.message_id: m for m in messages}


async def test_restart_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    commands = random_commands(7, SYMBOLS, 600)
    before, after = commands[:450], commands[450:]
    core, pending = await started(tmp_path)
    assert pending == []
    learned = await core.commit([instrument_in(instrument(s)) for s in SYMBOLS])
    await publish_and_snapshot(core, learned.seq)
    unpublished: list[Outgoing] = []
    chunks = batches([command_in(c) for c in before], seed=1)
    for index, chunk in enumerate(chunks):
        commit = await core.commit(chunk)
        if index < len(chunks) - 3:
            await publish_and_snapshot(core, commit.seq)
        else:  # journaled and applied, never published nor acked: then the crash
            unpublished += commit.messages
    core.close()
    with list_segments(tmp_path)[-1][1].open("ab") as torn:
        torn.write(b'{"seq": 999, "message_id": "')  # a write cut short by the crash

    core, pending = await started(tmp_path)
    assert len(list_snapshots(tmp_path)) == 2  # snapshots were taken, the journal pruned
    assert list_segments(tmp_path)[0][0] > 1
    assert books_of(core) == reference_books(before)
    assert sum(book.trade_count for book in core.state.engine.books.values()) > 50
    republished = {
        mid: m for mid, m in by_id(pending).items() if m.envelope.type != BookChanged.TYPE
    }
    originals = {
        mid: m for mid, m in by_id(unpublished).items() if m.envelope.type != BookChanged.TYPE
    }
    assert {m.envelope.type for m in originals.values()} == {
        ExecutionsReported.TYPE,
        TradeExecuted.TYPE,
    }
    assert republished == originals  # same ids, same bodies, same times
    for message in pending:
        if message.envelope.type == BookChanged.TYPE:
            book = BookChanged.model_validate(message.envelope.payload)
            assert book.seq == core.state.book(book.symbol).seq  # the book as it is now

    # The broker redelivers the unacked tail: duplicates, dropped before the journal.
    redelivered = [item for chunk in chunks[-3:] for item in chunk]
    again = await core.commit(redelivered)
    assert (again.journaled, again.duplicates, again.messages) == (0, len(redelivered), [])
    for chunk in batches([command_in(c) for c in after], seed=2):
        await publish_and_snapshot(core, (await core.commit(chunk)).seq)
    assert books_of(core) == reference_books(commands)
    core.close()


async def test_after_a_clean_stop_nothing_is_republished(tmp_path: Path) -> None:
    core, _ = await started(tmp_path)
    commit = await core.commit([command_in(new("AAPL", 1, "buy", 100, 1))])
    await publish_and_snapshot(core, commit.seq)
    core.close()
    core, pending = await started(tmp_path)
    assert pending == []
    assert core.state.seq == 1 and "AAPL" in core.state.engine.books
    core.close()


async def test_a_corrupt_newest_snapshot_falls_back_to_the_older_one(tmp_path: Path) -> None:
    commands = random_commands(11, SYMBOLS, 300)
    core, _ = await started(tmp_path, snapshot_every=40)
    for chunk in batches([command_in(c) for c in commands], seed=3):
        await publish_and_snapshot(core, (await core.commit(chunk)).seq)
    core.close()
    newest = list_snapshots(tmp_path)[-1][1]
    newest.write_bytes(newest.read_bytes()[:100])
    core, pending = await started(tmp_path)
    assert books_of(core) == reference_books(commands)
    assert pending == []  # published_upto still says everything went out
    core.close()


async def test_duplicates_are_remembered_for_two_snapshot_intervals(tmp_path: Path) -> None:
    first, second = command_in(new("A", 1, "buy", 100, 1)), command_in(new("A", 2, "buy", 100, 1))
    core, _ = await started(tmp_path, snapshot_every=2)
    await publish_and_snapshot(core, (await core.commit([first, second])).seq)
    assert list_snapshots(tmp_path)  # the ids went into the snapshot's window
    core.close()
    core, _ = await started(tmp_path, snapshot_every=2)
    assert (await core.commit([first])).duplicates == 1
    later = [command_in(new("A", oid, "buy", 100, 1)) for oid in (3, 4)]
    await publish_and_snapshot(core, (await core.commit(later)).seq)
    again = await core.commit([first])  # two snapshots later: forgotten (bounded memory)
    assert (again.journaled, again.duplicates) == (1, 0)
    core.close()


async def test_a_command_repeated_in_one_batch_is_journaled_once(tmp_path: Path) -> None:
    item = command_in(new("A", 1, "buy", 100, 1))
    core, _ = await started(tmp_path)
    commit = await core.commit([item, item])
    assert (commit.journaled, commit.duplicates, core.state.seq) == (1, 1, 1)
    core.close()


@pytest.mark.parametrize("snapshot_every", [1, 1000])
async def test_instrument_specs_survive_a_restart(tmp_path: Path, snapshot_every: int) -> None:
    sym = SYMBOLS[0]
    core, _ = await started(tmp_path, snapshot_every)
    await publish_and_snapshot(core, (await core.commit([instrument_in(instrument(sym))])).seq)
    repeat = await core.commit([instrument_in(instrument(sym))])
    assert repeat.journaled == 0  # a re-announcement that changes nothing is not journaled
    core.close()
    core, _ = await started(tmp_path, snapshot_every)  # from the snapshot, or the journal
    assert core.state.spec(sym) is not None
    commit = await core.commit([command_in(new(sym, 1, "buy", 100, 1))])
    assert BookChanged.TYPE in [m.envelope.type for m in commit.messages]
    core.close()


async def test_a_second_process_waits_for_the_directory(tmp_path: Path) -> None:
    first, _ = await started(tmp_path)
    second = make_core(tmp_path)
    opening = asyncio.create_task(second.open())
    await asyncio.sleep(0.5)
    assert not opening.done()  # a standby: not recovering, not consuming
    await first.commit([command_in(ExchangeCommand(symbol="A", op="end_of_day"))])
    first.mark_published(first.state.seq)
    first.close()
    await asyncio.wait_for(opening, 5)
    assert second.state.seq == 1  # it recovered what the first one journaled
    second.close()


async def test_another_shards_directory_is_refused(tmp_path: Path) -> None:
    core = ShardCore(tmp_path, 1, 2, snapshot_every=1)
    await core.open()
    await publish_and_snapshot(
        core, (await core.commit([command_in(new(symbols_of(1, 2, 1)[0], 1, "buy", 1, 1))])).seq
    )
    core.close()
    with pytest.raises(WrongShardError):
        await ShardCore(tmp_path, 0, 2, snapshot_every=1).open()
