"""How a /ws/market connection's frames leave: everything a turn of the event loop pushed,
in one write right after it when the socket takes it; through the connection's task when
it cannot (a paused socket), in order either way."""

import asyncio
from collections.abc import Sequence

from bourse.common.live import AfterTurn
from bourse.stock.live.connection import MarketConnection, flush_all


class Socket:
    """A writer whose readiness the test sets; it records each write."""

    def __init__(self) -> None:
        self.open = True
        self.writes: list[list[str]] = []
        self.resumed = asyncio.Event()
        self.resumed.set()

    def ready(self) -> bool:
        return self.open and self.resumed.is_set()

    def write_now(self, frames: Sequence[str]) -> None:
        assert self.ready()
        self.writes.append(list(frames))

    async def write(self, frames: Sequence[str]) -> None:
        await self.resumed.wait()
        self.writes.append(list(frames))

    @property
    def frames(self) -> list[str]:
        return [frame for write in self.writes for frame in write]


async def turn() -> None:
    """Let the flush scheduled by this turn run."""
    await asyncio.sleep(0)


async def test_a_turns_frames_go_out_in_one_write_after_it() -> None:
    socket, flusher = Socket(), AfterTurn(flush_all)
    connections = [MarketConnection(socket, 100, flusher) for _ in range(3)]
    for frame in ("a", "b"):
        for connection in connections:
            connection.push(frame)
    assert socket.writes == []  # not during the turn

    await turn()

    assert socket.writes == [["a", "b"]] * 3  # one write per connection


async def test_frames_a_paused_socket_cannot_take_wait_for_the_task_in_order() -> None:
    socket, flusher = Socket(), AfterTurn(flush_all)
    connection = MarketConnection(socket, 100, flusher)
    writer = asyncio.create_task(connection.run())
    socket.resumed.clear()  # paused: the transport's buffer is full
    connection.push("1")
    connection.push("2")
    await turn()
    await turn()  # the task took 1 and 2 and waits for the socket
    assert socket.writes == []

    connection.push("3")  # its flush is due before the task wakes up...
    socket.resumed.set()  # ...and by then the socket takes writes again
    for _ in range(5):
        await turn()
    connection.push("4")
    await turn()

    assert socket.frames == ["1", "2", "3", "4"]
    connection.close()
    await writer


async def test_nothing_is_written_after_close_or_overflow() -> None:
    socket, flusher = Socket(), AfterTurn(flush_all)
    closed = MarketConnection(socket, 100, flusher)
    closed.push("x")
    closed.close()
    slow = MarketConnection(socket, 2, flusher)
    for frame in ("1", "2", "3"):
        slow.push(frame)
    await turn()
    assert socket.writes == []
    assert slow.overflow.is_set()
