"""The ack ledger alone: one frame for a batch where every older message is settled, one
per message otherwise (a multiple ack would also settle an open message below it)."""

from dataclasses import dataclass, field
from typing import Any

from bourse.messaging.acks import AckLedger


@dataclass(eq=False)
class Channel:
    is_closed: bool = False


@dataclass(eq=False)
class Message:
    """What the ledger uses of aio-pika's incoming message; records what was sent."""

    delivery_tag: int
    channel: Channel
    sent: list[tuple[str, int, bool]] = field(default_factory=list)

    async def ack(self, multiple: bool = False) -> None:
        self.sent.append(("ack", self.delivery_tag, multiple))

    async def nack(self, requeue: bool = True) -> None:
        self.sent.append(("nack", self.delivery_tag, False))


def received(ledger: AckLedger, channel: Channel, tags: range) -> list[Any]:
    sent: list[tuple[str, int, bool]] = []
    messages = [Message(tag, channel, sent) for tag in tags]
    for message in messages:
        ledger.opened(message)  # type: ignore[arg-type]
    return messages


async def test_a_batch_of_the_oldest_messages_is_acked_with_one_frame() -> None:
    ledger = AckLedger(multiple=True)
    messages = received(ledger, Channel(), range(1, 11))
    await ledger.ack(messages[:6])
    assert messages[0].sent == [("ack", 6, True)]
    await ledger.ack(messages[6:])
    assert messages[0].sent[1:] == [("ack", 10, True)]


async def test_a_message_above_an_open_one_is_acked_alone() -> None:
    ledger = AckLedger(multiple=True)
    messages = received(ledger, Channel(), range(1, 6))
    await ledger.ack([messages[0], messages[1], messages[3]])  # 3 is still open
    assert sorted(messages[0].sent) == [("ack", 2, True), ("ack", 4, False)]


async def test_a_nacked_message_no_longer_holds_the_others_back() -> None:
    ledger = AckLedger(multiple=True)
    messages = received(ledger, Channel(), range(1, 5))
    await ledger.nack(messages[0])
    await ledger.ack(messages[1:])
    assert messages[0].sent == [("nack", 1, False), ("ack", 4, True)]


async def test_tags_of_a_replaced_channel_do_not_hold_back_the_new_ones() -> None:
    ledger = AckLedger(multiple=True)
    old = Channel()
    received(ledger, old, range(1, 4))  # never settled: the connection dropped
    old.is_closed = True
    messages = received(ledger, Channel(), range(1, 4))
    await ledger.ack(messages)
    assert messages[0].sent == [("ack", 3, True)]


async def test_with_several_lanes_each_message_is_acked_alone() -> None:
    ledger = AckLedger(multiple=False)
    messages = received(ledger, Channel(), range(1, 4))
    await ledger.ack(messages)
    assert messages[0].sent == [("ack", 1, False), ("ack", 2, False), ("ack", 3, False)]
