"""The exchange publishes a journal batch's messages grouped: one AMQP message per
exchange, routing key and type, each keeping its envelopes in order."""

import uuid

from bourse.contracts import Envelope
from bourse.exchange_server.publisher import EVENTS_PER_MESSAGE, batches
from bourse.exchange_server.reports import Outgoing


def outgoing(key: str, kind: str = "exchange.executions") -> Outgoing:
    envelope = Envelope(message_id=uuid.uuid4(), type=kind, payload={"n": key})
    return Outgoing("bourse.exchange", key, envelope)


def test_messages_of_one_route_travel_together_in_order() -> None:
    a1, t1, b1, a2, t2, a3 = (
        outgoing("execution.A"),
        outgoing("market.trade.A", "market.trade"),
        outgoing("execution.B"),
        outgoing("execution.A"),
        outgoing("market.trade.A", "market.trade"),
        outgoing("execution.A"),
    )
    grouped = batches([a1, t1, b1, a2, t2, a3])
    assert [(b.routing_key, b.items) for b in grouped] == [  # by their last message
        ("execution.B", (b1,)),
        ("market.trade.A", (t1, t2)),
        ("execution.A", (a1, a2, a3)),
    ]


def test_a_long_group_is_cut_into_messages_of_bounded_size() -> None:
    many = [outgoing("execution.A") for _ in range(EVENTS_PER_MESSAGE * 2 + 1)]
    grouped = batches(many)
    assert [len(b.items) for b in grouped] == [EVENTS_PER_MESSAGE, EVENTS_PER_MESSAGE, 1]
    assert [item for b in grouped for item in b.items] == many
