"""The daemon through a real RabbitMQ vhost: commands in as the order service sends them,
executions and market data out; readiness, metrics, poison and misrouted commands."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aio_pika
import pytest
from exchange_helpers import Tap, envelope_of, instrument, new, symbols_of, until

from bourse.contracts.events import (
    BookChanged,
    ExchangeCommand,
    ExecutionsReported,
    TradeExecuted,
)
from bourse.contracts.topology import EXCHANGE, MARKET
from bourse.exchange_server.config import Settings
from bourse.exchange_server.main import create_app
from bourse.exchange_server.server import ExchangeServer
from bourse.messaging.broker import Broker
from bourse.messaging.topology import Binding
from bourse.testing.app import running_app

FEEDS = [Binding(EXCHANGE, "execution.#"), Binding(MARKET, "market.#")]


@pytest.fixture
async def order_service(vhost_url: str) -> AsyncIterator[Broker]:
    """Publishes as the order service does (confirms, mandatory routing)."""
    broker = Broker(vhost_url, "order-test")
    await broker.connect()
    yield broker
    await broker.close()


@pytest.fixture
async def tap(vhost_url: str) -> AsyncIterator[Tap]:
    tap = await Tap.open(vhost_url, FEEDS)
    yield tap
    await tap.close()


async def send(broker: Broker, *commands: ExchangeCommand) -> None:
    for command in commands:
        await broker.publish(command, envelope_of(command))


def reports(tap: Tap, symbol: str | None = None) -> list[ExecutionsReported]:
    out = [ExecutionsReported.model_validate(e.payload) for e in tap.of_type("exchange.executions")]
    return [r for r in out if symbol is None or r.symbol == symbol]


async def test_crossing_orders_trade(
    vhost_url: str, tmp_path: Path, order_service: Broker, tap: Tap
) -> None:
    sym = symbols_of(0, 1, 1)[0]
    app = create_app(Settings(amqp_url=vhost_url, journal_dir=tmp_path))
    async with running_app(app) as client:
        await until(lambda: app.state.server.recovered)
        assert (await client.get("/readyz")).status_code == 200
        await order_service.publish(instrument(sym, tick="0.01", lot="10"))
        await until(lambda: app.state.server.core.state.spec(sym) is not None)
        await send(
            order_service,
            new(sym, 1, "sell", 10125, 5, owner="seller"),
            new(sym, 2, "buy", 10130, 3, owner="buyer"),
        )
        await until(lambda: len(tap.of_type(BookChanged.TYPE)) >= 1 and len(reports(tap)) == 2)
        metrics = (await client.get("/metrics")).text
    first, second = reports(tap)
    assert [(e.type, e.id) for e in first.events] == [("accepted", 1)]
    assert [(e.type, e.taker, e.maker, e.price, e.qty) for e in second.events[1:]] == [
        ("trade", 2, 1, 10125, 3)
    ]
    assert second.first_seq == 2
    (trade_env,) = tap.of_type(TradeExecuted.TYPE)
    trade = TradeExecuted.model_validate(trade_env.payload)
    assert (trade.price, trade.qty, trade.taker_side) == (Decimal("101.25"), Decimal(30), "buy")
    book = BookChanged.model_validate(tap.of_type(BookChanged.TYPE)[-1].payload)
    assert book.asks == [(Decimal("101.25"), Decimal(20))] and book.bids == []
    routing = {key for key, _ in tap.received}
    assert {f"execution.{sym}", f"market.trade.{sym}", f"market.book.{sym}"} <= routing
    assert 'bourse_exchange_commands_total{outcome="applied",shard="0"}' in metrics
    assert "bourse_exchange_journal_fsync_seconds_bucket" in metrics


async def test_per_symbol_order_survives_pipelined_publishing(
    vhost_url: str, tmp_path: Path, order_service: Broker, tap: Tap
) -> None:
    symbols = symbols_of(0, 1, 2)
    server = ExchangeServer(Settings(amqp_url=vhost_url, journal_dir=tmp_path, max_batch=64))
    await server.start()
    try:
        commands = [
            new(
                symbols[oid % 2],
                oid,
                "buy" if oid % 3 else "sell",
                100 + oid % 7,
                1 + oid % 4,
                owner=f"u{oid % 5}",
            )
            for oid in range(1, 401)
        ]
        await asyncio.gather(*(order_service.publish(c, envelope_of(c)) for c in commands))
        await until(lambda: len(reports(tap)) == 400, timeout=30)
    finally:
        await server.stop()
    for symbol in symbols:
        got = reports(tap, symbol)
        expected_first = 1
        for report in got:  # in arrival order: contiguous engine sequence numbers
            assert report.first_seq == expected_first
            expected_first += len(report.events)
    assert server.core.state.seq == 400


async def test_poison_and_misrouted_commands_are_dead_lettered(
    vhost_url: str, tmp_path: Path, order_service: Broker, tap: Tap
) -> None:
    mine, theirs = symbols_of(0, 2, 1)[0], symbols_of(1, 2, 1)[0]
    server = ExchangeServer(Settings(amqp_url=vhost_url, journal_dir=tmp_path, shards=2))
    await server.start()
    try:
        await order_service.publish_raw(
            EXCHANGE, f"command.shard-0.{mine}", b"{not json", message_id="p1", message_type="x"
        )
        stray = new(theirs, 1, "buy", 100, 1)
        await order_service.publish_envelope(
            EXCHANGE, f"command.shard-0.{theirs}", envelope_of(stray)
        )
        await send(order_service, new(mine, 2, "buy", 100, 1).model_copy(update={"shards": 2}))
        await until(lambda: len(reports(tap)) == 1)
    finally:
        await server.stop()
    assert reports(tap)[0].symbol == mine
    assert server.core.state.seq == 1  # neither the poison nor the stray was journaled
    connection = await aio_pika.connect(vhost_url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.declare_queue("exchange.commands.shard-0.dlq", passive=True)
        assert dlq.declaration_result.message_count == 2


async def test_executions_wait_for_a_queue_market_data_does_not(
    vhost_url: str, tmp_path: Path, order_service: Broker
) -> None:
    sym = symbols_of(0, 1, 1)[0]
    server = ExchangeServer(Settings(amqp_url=vhost_url, journal_dir=tmp_path))
    await server.start()
    try:
        market = await Tap.open(vhost_url, [Binding(MARKET, "instrument.#")])  # no market.#
        await order_service.publish(instrument(sym))
        await until(lambda: server.core.state.spec(sym) is not None)
        await send(order_service, new(sym, 1, "sell", 100, 1, owner="s"))
        await asyncio.sleep(0.5)  # nobody binds execution.*: the report is retried, not lost
        late = await Tap.open(vhost_url, [Binding(EXCHANGE, "execution.#")])
        await until(lambda: len(reports(late)) == 1)
        await send(order_service, new(sym, 2, "buy", 100, 1, owner="b"))
        await until(lambda: len(reports(late)) == 2)  # unrouted trades and books were dropped
    finally:
        await server.stop()
        await market.close()
        await late.close()
    assert [r.first_seq for r in reports(late)] == [1, 2]
