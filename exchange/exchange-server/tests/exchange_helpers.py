"""Test helpers: commands as the order service sends them, a reference engine, and a tap
(a queue bound on the real broker that records what the exchange publishes)."""

import asyncio
import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from bourse.contracts import Envelope
from bourse.contracts.events import ExchangeCommand, InstrumentChanged
from bourse.contracts.ids import uuid7
from bourse.contracts.topology import shard_of
from bourse.exchange_server.intake import CommandIn, InstrumentIn
from bourse.exchange_server.state import engine_command
from bourse.matching import OrderBook, apply_command
from bourse.messaging.topology import Binding
from bourse.messaging.wire import envelopes_of

OWNERS = ("alice", "bob", "carol")


def symbols_of(shard: int, shards: int, count: int) -> list[str]:
    """``count`` symbols that shard ``shard`` owns."""
    found = [f"S{i:03d}" for i in range(1000) if shard_of(f"S{i:03d}", shards) == shard]
    return found[:count]


def instrument(symbol: str, tick: str = "0.01", lot: str = "1", status: str = "trading") -> Any:
    return InstrumentChanged(
        symbol=symbol,
        name=symbol,
        tick_size=Decimal(tick),
        lot_size=Decimal(lot),
        status=status,  # type: ignore[arg-type]
    )


def new(symbol: str, oid: int, side: str, price: int | None, qty: int, **extra: Any) -> Any:
    return ExchangeCommand(
        symbol=symbol,
        op="new",
        engine_id=oid,
        side=side,  # type: ignore[arg-type]
        order_type=extra.pop("order_type", "limit" if price is not None else "market"),
        price=price,
        qty=qty,
        owner=extra.pop("owner", "alice"),
        **extra,
    )


def cancel(symbol: str, oid: int) -> ExchangeCommand:
    return ExchangeCommand(symbol=symbol, op="cancel", engine_id=oid)


def command_in(command: ExchangeCommand) -> CommandIn:
    return CommandIn(uuid7(), "corr-test", command)


def instrument_in(payload: InstrumentChanged) -> InstrumentIn:
    return InstrumentIn(uuid7(), payload)


def random_commands(seed: int, symbols: Sequence[str], count: int) -> list[ExchangeCommand]:
    """A seeded mix of passive and crossing limits, markets, trailing stops, cancels and
    replaces."""
    rng = random.Random(seed)
    out: list[ExchangeCommand] = []
    ids: list[tuple[str, int]] = []
    for oid in range(1, count + 1):
        roll = rng.random()
        if ids and roll < 0.2:
            symbol, target = rng.choice(ids)
            out.append(cancel(symbol, target))
            continue
        if ids and roll < 0.3:
            symbol, target = rng.choice(ids)
            out.append(
                ExchangeCommand(
                    symbol=symbol,
                    op="replace",
                    engine_id=target,
                    price=rng.randint(95, 105),
                    qty=rng.randint(1, 20),
                )
            )
            continue
        symbol = rng.choice(symbols)
        side = rng.choice(("buy", "sell"))
        price = None if roll > 0.93 else rng.randint(95, 105)
        owner = rng.choice(OWNERS)
        if roll < 0.35:  # a trailing stop, kept across snapshots and the journal
            trail = {"trail": rng.randint(1, 3)}
            out.append(
                new(symbol, oid, side, None, 5, owner=owner, order_type="trailing_stop", **trail)
            )
            ids.append((symbol, oid))
            continue
        out.append(new(symbol, oid, side, price, rng.randint(1, 20), owner=owner))
        ids.append((symbol, oid))
    return out


def reference_books(commands: Sequence[ExchangeCommand]) -> dict[str, dict[str, Any]]:
    """Every book's state after applying ``commands`` in one uninterrupted run."""
    books: dict[str, OrderBook] = {}
    for command in commands:
        book = books.setdefault(command.symbol, OrderBook(command.symbol))
        apply_command(book, engine_command(command))
    return {symbol: book.to_state() for symbol, book in books.items()}


def envelope_of(command: ExchangeCommand) -> Envelope:
    return Envelope(
        type=command.TYPE, payload=command.model_dump(mode="json"), correlation_id="corr-it"
    )


async def until(done: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``done`` until it holds (fails the test after ``timeout`` seconds)."""
    async with asyncio.timeout(timeout):
        while not done():
            await asyncio.sleep(0.02)


class Tap:
    """An exclusive queue on the test vhost recording what the exchange publishes."""

    def __init__(self, connection: AbstractRobustConnection) -> None:
        self.connection = connection
        self.received: list[tuple[str, Envelope]] = []  # (routing key, envelope)

    @classmethod
    async def open(cls, url: str, bindings: Sequence[Binding]) -> "Tap":
        tap = cls(await aio_pika.connect_robust(url))
        channel = await tap.connection.channel()
        queue = await channel.declare_queue("", exclusive=True)
        for binding in bindings:
            await channel.declare_exchange(binding.exchange, "topic", durable=True)
            await queue.bind(binding.exchange, routing_key=binding.routing_key)
        await queue.consume(tap._on_message, no_ack=True)
        return tap

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        key = message.routing_key or ""
        self.received += [(key, envelope) for envelope in envelopes_of(message)]

    def of_type(self, message_type: str) -> list[Envelope]:
        return [env for _, env in self.received if env.type == message_type]

    async def close(self) -> None:
        await self.connection.close()
