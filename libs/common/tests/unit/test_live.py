"""The pieces of every per-instance WebSocket hub (bourse.common.live): a socket's bounded
queue, the sockets of one feed by user, and the pump that applies what is pending in
batches and survives a batch that fails."""

import asyncio
import uuid

from prometheus_client import CollectorRegistry, Gauge

from bourse.common.live import AfterTurn, Socket, Sockets, pump


def test_a_socket_queues_up_to_its_limit_then_is_told_to_close() -> None:
    socket: Socket[str] = Socket(uuid.uuid4(), limit=2)
    assert socket.queue("a") and socket.queue("b")
    assert not socket.queue("c") and socket.overflowed
    assert not socket.queue("d")
    queued = [socket.outbox.get_nowait() for _ in range(socket.outbox.qsize())]
    assert queued == ["a", "b", None]


def test_sockets_are_registered_by_user_while_open_and_counted() -> None:
    registry = CollectorRegistry()
    sockets: Sockets[Socket[str]] = Sockets(Gauge("open", "open sockets", registry=registry))
    ann, bob = uuid.uuid4(), uuid.uuid4()
    assert not sockets
    with sockets.open(Socket(ann, 1)) as first, sockets.open(Socket(ann, 1)):
        with sockets.open(Socket(bob, 1)):
            assert sorted(sockets.users()) == sorted([ann, bob])
            assert registry.get_sample_value("open") == 3
        assert bob not in sockets and ann in sockets
        assert first in sockets.of(ann) and len(sockets.of(ann)) == 2
    assert not sockets and sockets.of(ann) == [] and registry.get_sample_value("open") == 0


async def test_the_pump_takes_all_that_is_pending_at_once_and_outlives_a_failure() -> None:
    pending: asyncio.Queue[int] = asyncio.Queue()
    batches: list[list[int]] = []

    async def work(batch: list[int]) -> None:
        batches.append(batch)
        if 0 in batch:
            raise ValueError("this batch fails")

    for item in (0, 1, 2):
        pending.put_nowait(item)
    task = asyncio.create_task(pump(pending, work, "test feed"))
    await asyncio.sleep(0.01)
    pending.put_nowait(3)
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert batches == [[0, 1, 2], [3]]


async def test_what_a_turn_marks_is_flushed_once_right_after_it() -> None:
    flushed: list[set[str]] = []
    after = AfterTurn(flushed.append)
    after.add("a")
    after.update(["b", "a", "c"])
    after.discard("c")
    assert flushed == []  # not during the turn

    await asyncio.sleep(0)
    after.add("d")
    await asyncio.sleep(0)

    assert flushed == [{"a", "b"}, {"d"}]
