"""What one shard knows, and how a journal entry changes it: pure, no I/O.

The same :meth:`ShardState.apply` runs live and in recovery, so replaying the journal
gives back exactly the books, events and messages of the uninterrupted run.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from bourse.contracts.events import ExchangeCommand, InstrumentChanged, Side
from bourse.contracts.ids import uuid7
from bourse.contracts.topology import shard_of
from bourse.exchange_server.journal import JournalEntry
from bourse.exchange_server.snapshots import ShardSnapshot
from bourse.matching import InstrumentSpec, MatchingEngine, OrderBook, apply_command
from bourse.matching.snapshot import loads_books
from bourse.matching.types import CANCELLED, TRIGGERED, Event

log = logging.getLogger(__name__)

# ExchangeCommand field -> the engine's contract command field (commands.py).
_ENGINE_NAMES = {"engine_id": "id", "order_type": "type"}
_NOT_FOR_ENGINE = {"symbol", "order_id", "shards"}
_STOP_TYPES = ("stop", "stop_limit", "trailing_stop")


def engine_command(command: ExchangeCommand) -> dict[str, Any]:
    """The engine's command for ``command`` (absent fields take the engine's defaults)."""
    raw = command.model_dump(exclude=_NOT_FOR_ENGINE, exclude_none=True)
    return {_ENGINE_NAMES.get(name, name): value for name, value in raw.items()}


@dataclass(frozen=True, slots=True)
class Applied:
    """One command applied: its events, numbered from ``first_seq`` in its book."""

    entry: JournalEntry
    command: ExchangeCommand
    first_seq: int
    events: list[Event]
    taker_sides: dict[int, Side]  # the side of every order that may take liquidity here


class DedupeWindow:
    """Message ids of the commands journaled since the snapshot before the last one: a
    redelivery (crash before the ack) or a producer's re-publish is dropped, while the
    memory stays bounded by two snapshot intervals."""

    def __init__(self, previous: set[UUID] | None = None) -> None:
        self.previous = previous or set()
        self.current: set[UUID] = set()

    def __contains__(self, message_id: object) -> bool:
        return message_id in self.current or message_id in self.previous

    def add(self, message_id: UUID) -> None:
        self.current.add(message_id)

    def rotate(self) -> list[str]:
        """At a snapshot: forget the older interval; returns the ids the snapshot keeps."""
        self.previous, self.current = self.current, set()
        return sorted(str(message_id) for message_id in self.previous)


class ShardState:
    def __init__(self, shard: int, shards: int, epoch: UUID | None = None) -> None:
        """``epoch``: the journal's identity (bourse.exchange_server.epoch); a state
        without one is a new journal of its own."""
        self.shard = shard
        self.shards = shards
        self.epoch = epoch or uuid7()
        self.engine = MatchingEngine()
        self.instruments: dict[str, InstrumentChanged] = {}
        self.seq = 0  # the last journal entry applied
        self.dedupe = DedupeWindow()
        # Pending stop orders' sides: a triggered stop takes liquidity, and its trades
        # must say on which side; the engine's events do not carry it.
        self.stop_sides: dict[str, dict[int, Side]] = {}

    def owns(self, symbol: str) -> bool:
        return shard_of(symbol, self.shards) == self.shard

    def book(self, symbol: str) -> OrderBook:
        """The book of ``symbol``, created on first use (spec or not: it works in ticks)."""
        book = self.engine.books.get(symbol)
        if book is None:
            book = self.engine.books[symbol] = OrderBook(symbol)
        return book

    def spec(self, symbol: str) -> InstrumentSpec | None:
        return self.engine.instruments.get(symbol)

    def is_news(self, instrument: InstrumentChanged) -> bool:
        """True when ``instrument`` is this shard's and changes what is known of it."""
        if not self.owns(instrument.symbol):
            return False
        known = self.instruments.get(instrument.symbol)
        return known is None or _essentials(known) != _essentials(instrument)

    def learn(self, instrument: InstrumentChanged) -> None:
        self.instruments[instrument.symbol] = instrument
        spec = InstrumentSpec(instrument.symbol, instrument.tick_size, instrument.lot_size)
        self.engine.add_instrument(spec)

    def apply(self, entry: JournalEntry) -> Applied | None:
        """Apply the next journal entry; a command yields its :class:`Applied`."""
        if entry.seq != self.seq + 1:
            raise ValueError(f"journal entry {entry.seq} applied after {self.seq}")
        self.seq = entry.seq
        if entry.instrument is not None:
            self.learn(InstrumentChanged.model_validate(entry.instrument))
            return None
        command = ExchangeCommand.model_validate(entry.command)
        self.dedupe.add(entry.message_id)
        book = self.book(command.symbol)
        first_seq = book.seq + 1
        sides = _own_side(book, command)
        events = apply_command(book, engine_command(command))
        sides |= self._track_stops(command, events)
        return Applied(entry, command, first_seq, events, sides)

    def _track_stops(self, command: ExchangeCommand, events: list[Event]) -> dict[int, Side]:
        """Remember accepted stops' sides; return (and forget) those of triggered ones."""
        pending = self.stop_sides.setdefault(command.symbol, {})
        triggered: dict[int, Side] = {}
        for event in events:
            kind, oid = event[0], event[1]
            if kind == "accepted" and oid == command.engine_id and _is_stop(command):
                assert command.side is not None
                pending[oid] = command.side
            elif kind == TRIGGERED and oid in pending:
                triggered[oid] = pending.pop(oid)
            elif kind == CANCELLED:
                pending.pop(oid, None)
        return triggered

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> ShardSnapshot:
        """Everything needed to continue from here; rotates the dedupe window."""
        return ShardSnapshot(
            seq=self.seq,
            shard=self.shard,
            epoch=str(self.epoch),
            books=self.engine.snapshot(),
            instruments=[i.model_dump(mode="json") for i in self.instruments.values()],
            dedupe=self.dedupe.rotate(),
            stop_sides={
                symbol: {str(oid): side for oid, side in sides.items()}
                for symbol, sides in self.stop_sides.items()
                if sides
            },
        )

    @classmethod
    def from_snapshot(cls, snapshot: ShardSnapshot, shards: int, epoch: UUID) -> "ShardState":
        state = cls(snapshot.shard, shards, epoch)
        for raw in snapshot.instruments:
            state.learn(InstrumentChanged.model_validate(raw))
        for book in loads_books(snapshot.books):
            state.engine.books[book.symbol] = book
        state.seq = snapshot.seq
        state.dedupe = DedupeWindow({UUID(message_id) for message_id in snapshot.dedupe})
        state.stop_sides = {
            symbol: {int(oid): cast(Side, side) for oid, side in sides.items()}
            for symbol, sides in snapshot.stop_sides.items()
        }
        return state


def _essentials(instrument: InstrumentChanged) -> tuple[Decimal, Decimal, str]:
    return instrument.tick_size, instrument.lot_size, instrument.status


def _is_stop(command: ExchangeCommand) -> bool:
    return command.op == "new" and command.order_type in _STOP_TYPES


def _own_side(book: OrderBook, command: ExchangeCommand) -> dict[int, Side]:
    """The side of the command's own order (read before a replace may fill it away)."""
    oid = command.engine_id
    if oid is None:
        return {}
    if command.op == "new" and command.side is not None:
        return {oid: command.side}
    if command.op == "replace" and (order := book.get(oid)) is not None:
        return {oid: order["side"]}
    return {}
