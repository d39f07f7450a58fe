"""Settling a consumer's messages, a batch's acks with one frame where that is safe.

Every ack is a frame the client writes and a command the quorum queue appends to its log.
A consumer with one lane applies its messages in delivery order, so when a batch commits,
the messages it completed are usually the oldest still open on the channel: then one
``basic.ack`` with ``multiple`` set (every tag up to the highest) acks them all. That is
only right while no message with a lower delivery tag on the same channel is still open
(unsettled), which :class:`AckLedger` tracks; a message above an open one is acked alone.
With several lanes, deliveries complete out of order: the ledger then acks one by one.
"""

from collections.abc import Sequence

from aio_pika.abc import AbstractIncomingMessage
from aiormq.abc import AbstractChannel

from bourse.messaging.wire import settle

ChannelKey = AbstractChannel | None  # the delivering channel; None once it is closed


def _channel_of(message: AbstractIncomingMessage) -> ChannelKey:
    try:
        return message.channel
    except Exception:  # closed (the connection dropped): nothing can be settled on it
        return None


class AckLedger:
    """The messages received and not yet settled, by channel (delivery tags are numbered
    per channel, and start again on the channel that replaces a dropped one)."""

    def __init__(self, *, multiple: bool) -> None:
        self.multiple = multiple
        self._open: dict[ChannelKey, set[int]] = {}

    def opened(self, message: AbstractIncomingMessage) -> None:
        """``message`` will be settled through this ledger."""
        for closed in [c for c in self._open if c is None or c.is_closed]:
            del self._open[closed]  # the broker took their messages back
        self._open.setdefault(_channel_of(message), set()).add(_tag(message))

    async def nack(self, message: AbstractIncomingMessage) -> None:
        """Back to the queue (the quorum queue counts the delivery)."""
        self._close(message)
        await settle(message.nack(requeue=True))

    async def ack(self, messages: Sequence[AbstractIncomingMessage]) -> None:
        """Ack ``messages`` (applied and committed): those below every open tag of their
        channel with one frame, any other alone."""
        for message in messages:
            self._close(message)
        if not self.multiple:
            for message in messages:
                await settle(message.ack())
            return
        for channel in {_channel_of(message) for message in messages}:
            await self._ack_on(channel, [m for m in messages if _channel_of(m) == channel])

    async def _ack_on(self, channel: ChannelKey, messages: list[AbstractIncomingMessage]) -> None:
        lowest_open = min(self._open.get(channel) or (), default=None)
        below = [m for m in messages if lowest_open is None or _tag(m) < lowest_open]
        for message in messages:
            if message not in below:
                await settle(message.ack())
        if below:
            await settle(max(below, key=_tag).ack(multiple=channel is not None))

    def _close(self, message: AbstractIncomingMessage) -> None:
        channel = _channel_of(message)
        tags = self._open.get(channel)
        if tags is not None:
            tags.discard(_tag(message))
            if not tags:
                del self._open[channel]


def _tag(message: AbstractIncomingMessage) -> int:
    return message.delivery_tag or 0
