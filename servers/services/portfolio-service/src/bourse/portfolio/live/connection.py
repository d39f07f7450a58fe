"""One WebSocket client's outgoing frames.

Producers never wait: :meth:`Connection.push` appends to a bounded queue and returns.
When the queue is full its oldest frame is dropped (every frame is the whole portfolio,
so the newest supersedes it). Only :meth:`Connection.run`, this client's own writer,
waits for the socket, and gives up on a client that takes longer than ``send_timeout``
for one frame: a slow client never stalls the others or the feed.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from prometheus_client import Counter

DROPPED = Counter(
    "bourse_portfolio_ws_frames_dropped_total",
    "WebSocket updates superseded before a slow client could take them",
)

Send = Callable[[str], Awaitable[None]]


class Connection:
    __slots__ = ("_closed", "_frames", "_send", "_send_timeout", "_wakeup", "ready")

    def __init__(self, send: Send, queue_size: int, send_timeout: float) -> None:
        self._send = send
        self._send_timeout = send_timeout
        self._frames: deque[str] = deque(maxlen=queue_size)
        self._wakeup = asyncio.Event()
        self._closed = False
        self.ready = False  # set once its snapshot is queued: updates only come after it

    def push(self, frame: str) -> None:
        if len(self._frames) == self._frames.maxlen:
            DROPPED.inc()  # the deque drops the oldest itself
        self._frames.append(frame)
        self._wakeup.set()

    def close(self) -> None:
        """Stop :meth:`run` (the client went away); pending frames are discarded."""
        self._closed = True
        self._wakeup.set()

    @property
    def pending(self) -> int:
        return len(self._frames)

    async def run(self) -> None:
        """Write frames until :meth:`close`. Raises ``TimeoutError`` for a client too slow
        to take one frame within the send timeout, and whatever the socket raises."""
        while not self._closed:
            if not self._frames:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            frame = self._frames.popleft()
            async with asyncio.timeout(self._send_timeout):
                await self._send(frame)
