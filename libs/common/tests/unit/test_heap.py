"""The serving process's garbage collector: every collection is timed by generation,
and the heap start-up built is frozen once the app's lifespan has started (and only
then, and only when asked)."""

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from bourse.common.heap import manage_heap, watch_collections


def pauses(generation: int) -> float:
    value = REGISTRY.get_sample_value(
        "bourse_gc_pause_seconds_count", {"generation": str(generation)}
    )
    return value or 0.0


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """A test process keeps collecting: whatever a test froze is thawed after it."""
    yield
    gc.unfreeze()


def test_every_collection_is_timed_by_generation() -> None:
    watch_collections()
    watch_collections()  # once, however often called
    before = pauses(2), pauses(0)
    gc.collect()
    gc.collect(0)
    assert (pauses(2), pauses(0)) == (before[0] + 1, before[1] + 1)


def app_with_lifespan(seen: list[int]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        seen.append(gc.get_freeze_count())  # during start-up: nothing frozen yet
        yield

    return FastAPI(lifespan=lifespan)


async def test_the_heap_is_frozen_once_start_up_is_done() -> None:
    seen: list[int] = []
    app = app_with_lifespan(seen)
    manage_heap(app, freeze=True)
    async with app.router.lifespan_context(app):
        assert seen == [0]
        assert gc.get_freeze_count() > 1000  # the modules, the app, its schemas...


async def test_nothing_is_frozen_unless_asked() -> None:
    seen: list[int] = []
    app = app_with_lifespan(seen)
    manage_heap(app, freeze=False)
    async with app.router.lifespan_context(app):
        assert seen == [0]
        assert gc.get_freeze_count() == 0
