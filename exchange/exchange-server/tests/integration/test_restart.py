"""A crash mid-stream through the real broker: a cancel sent while the shard is down is
applied after every earlier command, in order; nothing lost, nothing applied twice."""

import asyncio
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

from exchange_helpers import (
    Tap,
    envelope_of,
    instrument,
    random_commands,
    reference_books,
    symbols_of,
    until,
)
from prometheus_client import REGISTRY

from bourse.contracts.events import ExchangeCommand, ExecutionsReported, TradeExecuted
from bourse.contracts.topology import EXCHANGE, MARKET
from bourse.exchange_server.config import Settings
from bourse.exchange_server.publisher import publish_all
from bourse.exchange_server.reports import Outgoing, message_id
from bourse.exchange_server.server import ExchangeServer
from bourse.messaging.broker import Broker
from bourse.messaging.topology import Binding

SYMBOLS = symbols_of(0, 1, 2)
PUBLISHED_BATCHES = 4


def crashing_server(settings: Settings) -> tuple[ExchangeServer, asyncio.Event]:
    """A server whose publishing hangs from its 5th batch on: that batch is journaled and
    applied but never published nor acked, the ones after it are still in the queue."""
    hung = asyncio.Event()
    calls = 0

    async def publish(messages: Sequence[Outgoing]) -> None:
        nonlocal calls
        calls += 1
        if calls > PUBLISHED_BATCHES:
            hung.set()
            await asyncio.Event().wait()
        await publish_all(server.broker, messages)

    server = ExchangeServer(settings, publish=publish)
    return server, hung


def resting_order(commands: Sequence[ExchangeCommand]) -> tuple[str, int, int]:
    """(symbol, id, open qty) of an order still resting after ``commands``."""
    for symbol, state in reference_books(commands).items():
        for kind, oid, qty, *_ in state["orders"]:
            if kind == "limit":
                return symbol, oid, qty
    raise AssertionError("nothing rests")


async def test_a_cancel_sent_while_down_is_applied_in_order(vhost_url: str, tmp_path: Path) -> None:
    settings = Settings(
        amqp_url=vhost_url, journal_dir=tmp_path, max_batch=8, prefetch=32, snapshot_every=10
    )
    tap = await Tap.open(vhost_url, [Binding(EXCHANGE, "execution.#"), Binding(MARKET, "market.#")])
    order_service = Broker(vhost_url, "order-test")
    await order_service.connect()
    commands = random_commands(3, SYMBOLS, 150)
    first, hung = crashing_server(settings)
    await first.start()
    for symbol in SYMBOLS:
        await order_service.publish(instrument(symbol))
    await until(lambda: all(first.core.state.spec(s) for s in SYMBOLS))
    await asyncio.gather(*(order_service.publish(c, envelope_of(c)) for c in commands))
    await until(hung.is_set)
    await first.stop(graceful=False)  # the crash: journaled, applied, unpublished, unacked
    crashed_at = first.core.state.seq
    assert first.core.published < crashed_at < len(commands) + len(SYMBOLS)
    duplicates_before = duplicates()

    symbol, oid, qty = resting_order(commands)
    late_cancel = ExchangeCommand(symbol=symbol, op="cancel", engine_id=oid)
    cancel_envelope = envelope_of(late_cancel)
    await order_service.publish(late_cancel, cancel_envelope)  # while the shard is down

    second = ExchangeServer(settings)
    await second.start()
    everything = [*commands, late_cancel]
    try:
        await until(lambda: len(distinct_reports(tap)) == len(everything), timeout=30)
        await asyncio.sleep(0.3)  # anything applied twice would show up now
    finally:
        await second.stop()
        await order_service.close()
        await tap.close()

    assert duplicates() > duplicates_before  # the unacked tail came back and was dropped
    reports = distinct_reports(tap)
    assert len(reports) == len(everything)  # one report per command: none lost or doubled
    received = list(reports.values())
    assert len({r.command_id for r in received}) == len(everything)
    for sym in SYMBOLS:  # in arrival order, each book's sequence is contiguous
        expected = 1
        for report in (r for r in received if r.symbol == sym):
            assert report.first_seq == expected
            expected += len(report.events)
    last = received[-1]
    assert last.command_id == cancel_envelope.message_id
    assert [(e.type, e.id, e.reason, e.qty) for e in last.events] == [
        ("canceled", oid, "user", qty)
    ]
    journal_seqs = set()
    for seq in range(1, second.core.state.seq + 1):
        if message_id(second.core.state.epoch, 0, seq, "executions") in reports:
            journal_seqs.add(seq)
    assert len(journal_seqs) == len(everything)  # the ids are the journal's, re-published same
    assert second.core.state.epoch == first.core.state.epoch  # the same journal after a crash
    books = {s: b.to_state() for s, b in second.core.state.engine.books.items()}
    assert books == reference_books(everything)
    trades = {e.message_id for e in tap.of_type(TradeExecuted.TYPE)}
    assert len(trades) == sum(b.trade_count for b in second.core.state.engine.books.values())


def duplicates() -> float:
    sample = REGISTRY.get_sample_value(
        "bourse_exchange_commands_total", {"shard": "0", "outcome": "duplicate"}
    )
    return sample or 0.0


def distinct_reports(tap: Tap) -> dict[UUID, ExecutionsReported]:
    """Execution reports by message id, in first arrival order (a re-published report is
    the same message: same id, same body)."""
    out: dict[UUID, ExecutionsReported] = {}
    for envelope in tap.of_type(ExecutionsReported.TYPE):
        report = ExecutionsReported.model_validate(envelope.payload)
        assert out.setdefault(envelope.message_id, report) == report
    return out
