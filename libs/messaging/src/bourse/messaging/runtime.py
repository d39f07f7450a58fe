"""What a running service holds: its database, the broker, the outbox relay and its
consumers, started and stopped with the app's lifespan."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from bourse.common.db import Database
from bourse.common.health import ReadinessCheck
from bourse.common.settings import ServiceSettings
from bourse.common.upkeep import TableUpkeep
from bourse.messaging.broker import Broker
from bourse.messaging.consumer import BatchHandler, Consumer, Handler, PartitionKey, Wants
from bourse.messaging.relay import OutboxRelay
from bourse.messaging.staging import StagingObserver, observe_staging
from bourse.messaging.topology import QueueSpec, declare_queue, delete_retired_queue

# Every runtime an app factory creates, so ``python -m bourse.<svc> declare`` can find the
# service's queues without starting it.
CREATED: list["ServiceRuntime"] = []

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    """A work queue and the handlers (by message type) that consume it: ``handlers`` take
    one message at a time, ``batch`` handlers a run of messages of their type at once."""

    queue: QueueSpec
    handlers: Mapping[str, Handler]
    batch: Mapping[str, BatchHandler] = field(default_factory=dict)
    max_batch: int = 100
    # Concurrent lanes, split by partition_key (order kept per key). One lane for a queue of
    # batch-native handlers: lanes would split the batches the handlers are built for.
    workers: int = 1
    partition_key: PartitionKey | None = None
    wants: Wants | None = None  # messages of no use are acked without a transaction


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    subscriptions: Sequence[Subscription] = ()
    relay: bool = True
    # rows the service writes for the events it stages (bourse.messaging.staging)
    observers: Sequence[StagingObserver[Any]] = ()
    # work queues of earlier releases, deleted on declare: a queue nobody declares any more
    # stays bound, and keeps every message routed to it, until it is deleted
    retired_queues: Sequence[str] = ()
    db: Database = field(init=False)
    broker: Broker = field(init=False)
    consumers: list[Consumer] = field(default_factory=list, init=False)
    outbox: OutboxRelay | None = field(default=None, init=False)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        name = self.settings.service_name
        self.db = Database(
            self.settings.database_url,
            self.settings.database_pool_size,
            self.settings.database_pool_overflow,
        )
        self.broker = Broker(self.settings.amqp_url, name)
        observe_staging(self.db, *self.observers)
        CREATED.append(self)

    async def declare(self) -> None:
        """Declare the exchanges and this service's durable queues (and delete its retired
        ones), then disconnect: run before any service starts, so no event published at
        start-up finds its future subscriber's queue missing."""
        await self.broker.connect()
        try:
            channel = await self.broker.channel()
            for sub in self.subscriptions:
                await declare_queue(channel, sub.queue)
            for name in self.retired_queues:
                await delete_retired_queue(channel, name)
            await channel.close()
        finally:
            await self.broker.close()
            await self.db.dispose()

    @property
    def readiness(self) -> dict[str, ReadinessCheck]:
        return {"database": self.db.ping, "broker": self.broker.ping}

    async def start(self) -> None:
        name = self.settings.service_name
        await self.broker.connect()
        for sub in self.subscriptions:
            consumer = Consumer(
                self.broker,
                self.db,
                sub.queue,
                sub.handlers,
                batch=sub.batch,
                max_batch=sub.max_batch,
                prefetch=self.settings.consumer_prefetch,
                workers=sub.workers,
                partition_key=sub.partition_key,
                wants=sub.wants,
                linger=self.settings.consumer_linger,
            )
            await consumer.start()
            self.consumers.append(consumer)
            self.spawn(consumer.run, f"consumer {sub.queue.name}")
        if self.relay:
            self.outbox = OutboxRelay(self.db, self.broker, name, linger=self.settings.relay_linger)
            self.spawn(self.outbox.run, "outbox relay")
        upkeep = TableUpkeep(self.db, self.settings.table_upkeep_interval)
        self.spawn(upkeep.run, "table upkeep")

    def spawn(self, work: Callable[[], Any], what: str) -> None:
        """Run a background loop for the service's lifetime; a crash is logged loudly."""
        task = asyncio.create_task(work(), name=what)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for consumer in self.consumers:
            with contextlib.suppress(Exception):
                await consumer.stop()
        await self.broker.close()
        await self.db.dispose()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = self
        await self.start()
        try:
            yield
        finally:
            await self.stop()


def _log_crash(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.critical("background task %s crashed", task.get_name(), exc_info=task.exception())


async def database(request: Request) -> Database:
    """The running service's database (a FastAPI dependency)."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime.db


Db = Annotated[Database, Depends(database)]
