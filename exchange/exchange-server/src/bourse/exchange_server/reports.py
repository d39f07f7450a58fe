"""The messages a batch of applied commands causes: execution reports and market data.

Every message id is derived from the journal (uuid5), never random: re-publishing after a
crash sends the same ids, which consumers' inboxes drop as duplicates. Times come from
the journal entry too, so a re-published message is the same message.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from bourse.contracts import Envelope
from bourse.contracts.events import (
    BookChanged,
    EngineEvent,
    ExecutionsReported,
    Payload,
    TradeExecuted,
)
from bourse.exchange_server.state import Applied, ShardState
from bourse.matching import InstrumentSpec, OrderBook
from bourse.matching.types import EVENT_FIELDS, TRADE, Event

log = logging.getLogger(__name__)

NAMESPACE = UUID("6b1f2d2e-5c1a-4f0e-9d7e-2b8f3c4a5e61")  # fixed forever: ids depend on it


def message_id(shard: int, *parts: object) -> UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(part) for part in (shard, *parts)))


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
    kind = event[0]
    return EngineEvent.model_validate(
        {"type": kind, **dict(zip(EVENT_FIELDS[kind], event[1:], strict=True))}
    )


def executions(shard: int, applied: Applied) -> Outgoing:
    entry = applied.entry
    report = ExecutionsReported(
        symbol=applied.command.symbol,
        command_id=entry.message_id,
        first_seq=applied.first_seq,
        events=[engine_event(event) for event in applied.events],
    )
    return _outgoing(
        report,
        message_id(shard, entry.seq, "executions"),
        entry.ts,
        correlation_id=entry.correlation_id,
        causation_id=str(entry.message_id),
    )


def trades(shard: int, applied: Applied, spec: InstrumentSpec) -> list[Outgoing]:
    entry, symbol = applied.entry, applied.command.symbol
    out = []
    for offset, event in enumerate(applied.events):
        if event[0] != TRADE:
            continue
        _, taker, _maker, price, qty = event
        seq = applied.first_seq + offset
        trade = TradeExecuted(
            symbol=symbol,
            trade_id=f"{symbol}:{seq}",  # the order service's fills use the same key
            price=spec.to_price(price),
            qty=spec.to_qty(qty),
            taker_side=applied.taker_sides.get(taker, applied.command.side or "buy"),
            seq=seq,
            ts=entry.ts,
        )
        mid = message_id(shard, entry.seq, "trade", seq)
        out.append(_outgoing(trade, mid, entry.ts, causation_id=str(entry.message_id)))
    return out


def book_changed(
    shard: int, book: OrderBook, spec: InstrumentSpec, depth: int, ts: datetime
) -> Outgoing:
    bids, asks = book.depth(depth)
    payload = BookChanged(
        symbol=book.symbol,
        bids=[(spec.to_price(price), spec.to_qty(qty)) for price, qty in bids],
        asks=[(spec.to_price(price), spec.to_qty(qty)) for price, qty in asks],
        seq=book.seq,
        ts=ts,
    )
    # The same book seq is the same book: a repeat is a duplicate, whatever the batch.
    return _outgoing(payload, message_id(shard, "book", book.symbol, book.seq), ts)


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
        self.messages.append(executions(self.state.shard, applied))
        spec = self.state.spec(symbol)
        if spec is not None:
            self.messages += trades(self.state.shard, applied, spec)
        self._touched[symbol] = applied.entry.ts

    def close(self) -> list[Outgoing]:
        for symbol, ts in self._touched.items():
            spec = self.state.spec(symbol)
            if spec is None:
                log.warning("no instrument spec for %s yet: its market data is skipped", symbol)
                continue
            book = self.state.book(symbol)
            self.messages.append(book_changed(self.state.shard, book, spec, self.depth, ts))
        self._touched.clear()
        return self.messages
