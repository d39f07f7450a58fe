"""The garbage collector of a long-running service: its pauses measured, and the heap
that start-up built kept out of its full collections.

A service's start-up leaves a few hundred thousand objects that live as long as the
process (modules, the app and its routes, pydantic and SQLAlchemy schemas, pools). The
cyclic collector walks every one of them in each full (generation 2) collection, which
a steady stream of messages triggers every so often: tens of milliseconds of the event
loop stopped each time, in the middle of whatever requests and batches were running.
:func:`freeze_startup_heap` moves them to the permanent generation (``gc.freeze()``, as
the Python documentation advises for a pre-fork server's parent): later collections
walk only what was made since. Nothing is collected less: a frozen object is one that
start-up made and the process keeps.

``bourse_gc_pause_seconds`` (by generation) says what collections cost, before and after.
Only a service's own process does this (:func:`manage_heap`, called by the ``serve``
commands): a test process starts many apps, and must keep collecting what each leaves.
"""

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import Histogram

log = logging.getLogger(__name__)

GC_PAUSE = Histogram(
    "bourse_gc_pause_seconds",
    "Pauses of the cyclic garbage collector",
    ["generation"],
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
_started: list[float] = []


def _timed(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started.append(time.perf_counter())
    elif _started:
        GC_PAUSE.labels(str(info["generation"])).observe(time.perf_counter() - _started.pop())


def watch_collections() -> None:
    """Time every collection of this process (once, however often called)."""
    if _timed not in gc.callbacks:
        gc.callbacks.append(_timed)


def freeze_startup_heap() -> int:
    """Collect what start-up left as garbage, then keep everything alive now out of every
    later collection; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def manage_heap(app: FastAPI, freeze: bool) -> None:
    """The process that serves ``app``: every collection timed, and (``freeze``) the heap
    frozen once the app's start-up (its lifespan's entry) is done."""
    watch_collections()
    if not freeze:
        return
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[Any]:
        async with started(served) as state:
            log.info("start-up heap frozen: %d objects", freeze_startup_heap())
            yield state

    app.router.lifespan_context = lifespan
