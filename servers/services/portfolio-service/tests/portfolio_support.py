"""Test and benchmark support (like bourse.testing): builders for the events
portfolio-service consumes, :func:`deliver` to apply one the way the consumer does (inbox
first, then the handler, one transaction) without the broker, and :func:`serve` to run
the app under a real uvicorn server (WebSockets need one) on a free port."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import (
    AccountUpdated,
    Fill,
    FillSettled,
    Payload,
    PriceChanged,
    SecuritiesDeposited,
    Side,
)
from bourse.messaging.consumer import batch_handlers
from bourse.portfolio.config import Settings
from bourse.portfolio.consumers import QUEUE, subscription
from bourse.testing.messaging import apply_batch_as_consumer, envelope_of

D = Decimal
Frame = dict[str, Any]
Headers = Callable[[uuid.UUID], dict[str, str]]  # a user id -> its Authorization header
_SUBSCRIPTION = subscription(Settings())
HANDLERS = batch_handlers(_SUBSCRIPTION.handlers, _SUBSCRIPTION.batch)


def fill(
    user_id: uuid.UUID,
    symbol: str,
    side: Side,
    qty: str,
    price: str,
    *,
    order_id: uuid.UUID | None = None,
    fill_id: uuid.UUID | None = None,
    cash_after: str = "0",
) -> AccountUpdated:
    """A fill as trader-service announces it once settled: the account's cash after it
    (``cash_after``), and the fill."""
    executed = Fill(
        id=fill_id or uuid.uuid4(),
        qty=D(qty),
        price=D(price),
        liquidity="taker",
        ts=datetime.now(UTC),
    )
    settled = FillSettled(
        order_id=order_id or uuid.uuid4(), symbol=symbol, side=side, fill=executed
    )
    return AccountUpdated(
        user_id=user_id, cash=D(cash_after), reserved_cash=D(0), reason="fill", settled=settled
    )


def cash(user_id: uuid.UUID, amount: str, reserved: str = "0") -> AccountUpdated:
    return AccountUpdated(
        user_id=user_id, cash=D(amount), reserved_cash=D(reserved), reason="deposit"
    )


def price(symbol: str, value: str, ts: datetime | None = None) -> PriceChanged:
    return PriceChanged(symbol=symbol, price=D(value), ts=ts or datetime.now(UTC))


def securities(
    user_id: uuid.UUID, symbol: str, qty: str, deposit_id: uuid.UUID | None = None
) -> SecuritiesDeposited:
    return SecuritiesDeposited(
        symbol=symbol,
        user_id=user_id,
        deposit_id=deposit_id or uuid.uuid4(),
        qty=D(qty),
        position_qty=D(qty),
    )


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
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="uvicorn")
    try:
        while not server.started:
            if task.done():
                await task  # raises what made start-up fail
                raise RuntimeError("the server stopped during start-up")
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield Instance(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws/portfolio")
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def feed(instance: Instance, token: str | None) -> AsyncIterator[ClientConnection]:
    """A WebSocket client of ``instance``'s portfolio feed."""
    url = instance.feed_url if token is None else f"{instance.feed_url}?token={token}"
    async with connect(url, open_timeout=10) as websocket:
        yield websocket


async def receive(websocket: ClientConnection, timeout: float = 10.0) -> Frame:
    async with asyncio.timeout(timeout):
        frame: Frame = json.loads(await websocket.recv())
    return frame


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
