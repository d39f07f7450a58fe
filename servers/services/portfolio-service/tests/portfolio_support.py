"""Test support (like bourse.testing; the events it consumes are built by
bourse.testing.portfolio): :func:`deliver` to apply one the way the consumer does (inbox
first, then the handler, one transaction) without the broker, and :func:`serve` to run
the app under a real uvicorn server (WebSockets need one) on a free port."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import Payload
from bourse.messaging.consumer import batch_handlers
from bourse.portfolio.config import Settings
from bourse.portfolio.consumers import QUEUE, subscription
from bourse.testing.app import served
from bourse.testing.messaging import apply_batch_as_consumer, envelope_of
from bourse.testing.ws import receive

Frame = dict[str, Any]
Headers = Callable[[uuid.UUID], dict[str, str]]  # a user id -> its Authorization header
_SUBSCRIPTION = subscription(Settings())
HANDLERS = batch_handlers(_SUBSCRIPTION.handlers, _SUBSCRIPTION.batch)


async def deliver(db: Database, payload: Payload, **fields: Any) -> bool:
    """Apply ``payload`` as the consumer would; False when the inbox says it was seen."""
    return bool(await deliver_batch(db, [envelope_of(payload, **fields)]))


async def deliver_batch(db: Database, envelopes: list[Envelope]) -> list[uuid.UUID]:
    """Apply ``envelopes`` as one consumer batch; returns the ids new to the inbox."""
    return await apply_batch_as_consumer(db, QUEUE, HANDLERS, envelopes)


@dataclass(frozen=True)
class Instance:
    """A running app: its HTTP base URL and its WebSocket feed URL (without the token)."""

    app: FastAPI
    http_url: str
    feed_url: str

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[Instance]:
    """Run ``app`` (lifespan included) under uvicorn on 127.0.0.1 and a free port."""
    async with served(app, lifespan="on") as port:
        yield Instance(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws/portfolio")


@contextlib.asynccontextmanager
async def feed(instance: Instance, token: str | None) -> AsyncIterator[ClientConnection]:
    """A WebSocket client of ``instance``'s portfolio feed."""
    url = instance.feed_url if token is None else f"{instance.feed_url}?token={token}"
    async with connect(url, open_timeout=10) as websocket:
        yield websocket


def position_of(frame: Frame, symbol: str) -> Frame | None:
    return next((p for p in frame["positions"] if p["symbol"] == symbol), None)


async def receive_until(
    websocket: ClientConnection, match: Callable[[Frame], bool], timeout: float = 10.0
) -> tuple[Frame, list[Frame]]:
    """The first frame that ``match``es, and the frames received before it."""
    skipped: list[Frame] = []
    async with asyncio.timeout(timeout):
        while not match(frame := await receive(websocket, timeout)):
            skipped.append(frame)
    return frame, skipped
