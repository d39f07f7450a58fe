"""The messages a batch of applied commands causes: execution reports and market data.

Every message id is derived from the journal (uuid5), never random: re-publishing after a
crash sends the same ids, which consumers' inboxes drop as duplicates. Times come from
the journal entry too, so a re-published message is the same message. Every id (message
ids and trade ids) includes the journal's epoch: a new journal numbers its entries from 1
again, and must never produce an id that a consumer has recorded from an older one.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from bourse.contracts import Envelope
from bourse.contracts.events import (
    BookChanged,
    EngineEvent,
    ExchangeStarted,
    ExecutionsReported,
    Payload,
    TradeExecuted,
    trade_key,
)
from bourse.exchange_server.state import Applied, ShardState
from bourse.matching import InstrumentSpec, OrderBook
from bourse.matching.types import CANCELLED, EVENT_FIELDS, TRADE, Event

log = logging.getLogger(__name__)

NAMESPACE = UUID("6b1f2d2e-5c1a-4f0e-9d7e-2b8f3c4a5e61")  # fixed forever: ids depend on it
MESSAGE_TYPE = {CANCELLED: "canceled"}  # engine event kinds that messages spell otherwise


def message_id(epoch: UUID, shard: int, *parts: object) -> UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(part) for part in (epoch, shard, *parts)))


@dataclass(frozen=True, slots=True)
class Outgoing:
    exchange: str
    routing_key: str
    envelope: Envelope


def _outgoing(
    payload: Payload,
    mid: UUID,
    ts: datetime,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> Outgoing:
    envelope = Envelope(
        message_id=mid,
        type=payload.TYPE,
        version=payload.VERSION,
        occurred_at=ts,
        correlation_id=correlation_id,
        causation_id=causation_id,
        payload=payload.model_dump(mode="json"),
    )
    return Outgoing(payload.EXCHANGE, payload.routing_key(), envelope)


def engine_event(event: Event) -> EngineEvent:
    """The message of one engine event. The engine's ``cancelled`` is ``canceled`` in
    messages (as in the API); the engine and its replay contract keep their spelling."""
    kind = event[0]
    return EngineEvent.model_validate(
        {
            "type": MESSAGE_TYPE.get(kind, kind),
            **dict(zip(EVENT_FIELDS[kind], event[1:], strict=True)),
        }
    )


def executions(state: ShardState, applied: Applied) -> Outgoing:
    entry = applied.entry
    report = ExecutionsReported(
        symbol=applied.command.symbol,
        command_id=entry.message_id,
        first_seq=applied.first_seq,
        events=[engine_event(event) for event in applied.events],
        epoch=state.epoch,
        shard=state.shard,
    )
    return _outgoing(
        report,
        message_id(state.epoch, state.shard, entry.seq, "executions"),
        entry.ts,
        correlation_id=entry.correlation_id,
        causation_id=str(entry.message_id),
    )


def trades(state: ShardState, applied: Applied, spec: InstrumentSpec) -> list[Outgoing]:
    entry, symbol = applied.entry, applied.command.symbol
    out = []
    for offset, event in enumerate(applied.events):
        if event[0] != TRADE:
            continue
        _, taker, _maker, price, qty = event
        seq = applied.first_seq + offset
        trade = TradeExecuted(
            symbol=symbol,
            trade_id=trade_key(symbol, seq, state.epoch),  # order-service's fills use it too
            price=spec.to_price(price),
            qty=spec.to_qty(qty),
            taker_side=applied.taker_sides.get(taker, applied.command.side or "buy"),
            seq=seq,
            ts=entry.ts,
            epoch=state.epoch,
        )
        mid = message_id(state.epoch, state.shard, entry.seq, "trade", seq)
        out.append(_outgoing(trade, mid, entry.ts, causation_id=str(entry.message_id)))
    return out


def book_changed(
    state: ShardState, book: OrderBook, spec: InstrumentSpec, depth: int, ts: datetime
) -> Outgoing:
    bids, asks = book.depth(depth)
    payload = BookChanged(
        symbol=book.symbol,
        bids=[(spec.to_price(price), spec.to_qty(qty)) for price, qty in bids],
        asks=[(spec.to_price(price), spec.to_qty(qty)) for price, qty in asks],
        seq=book.seq,
        ts=ts,
        epoch=state.epoch,
    )
    # The same book seq is the same book: a repeat is a duplicate, whatever the batch.
    mid = message_id(state.epoch, state.shard, "book", book.symbol, book.seq)
    return _outgoing(payload, mid, ts)


def started(state: ShardState) -> Outgoing:
    """The announcement that the shard recovered journal ``state.epoch`` up to its seq."""
    payload = ExchangeStarted(
        shard=state.shard, shards=state.shards, epoch=state.epoch, seq=state.seq
    )
    mid = message_id(state.epoch, state.shard, "started", state.seq)
    return _outgoing(payload, mid, datetime.now(UTC))


class MessageBatch:
    """Collects the messages of commands as they are applied (trades are priced with the
    spec known at that moment), then one book per symbol touched. The resulting order is
    the one the broker must keep per symbol."""

    def __init__(self, state: ShardState, depth: int) -> None:
        self.state = state
        self.depth = depth
        self.messages: list[Outgoing] = []
        self._touched: dict[str, datetime] = {}

    def add(self, applied: Applied) -> None:
        symbol = applied.command.symbol
        self.messages.append(executions(self.state, applied))
        spec = self.state.spec(symbol)
        if spec is not None:
            self.messages += trades(self.state, applied, spec)
        self._touched[symbol] = applied.entry.ts

    def close(self) -> list[Outgoing]:
        for symbol, ts in self._touched.items():
            spec = self.state.spec(symbol)
            if spec is None:
                log.warning("no instrument spec for %s yet: its market data is skipped", symbol)
                continue
            book = self.state.book(symbol)
            self.messages.append(book_changed(self.state, book, spec, self.depth, ts))
        self._touched.clear()
        return self.messages
