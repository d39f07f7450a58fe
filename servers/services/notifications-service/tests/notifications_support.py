"""Test support (like bourse.testing): builders for the events the service
consumes, :func:`deliver` to apply one the way the consumer does (inbox first, then the
handler, one transaction) without the broker, :func:`serve` to run an app under a real
uvicorn on a free local port (WebSockets need a real server), and :class:`Receiver`, a
real HTTP endpoint for webhooks whose answers a test scripts."""

import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import (
    AccountUpdated,
    AlertTriggered,
    AutoRunFinished,
    Fill,
    OrderChanged,
    OrderSnapshot,
    OrderStatus,
    UserRegistered,
)
from bourse.messaging.consumer import batch_handlers
from bourse.notifications.config import Settings
from bourse.notifications.consumers import subscription
from bourse.testing.app import served
from bourse.testing.messaging import apply_batch_as_consumer

D = Decimal
Headers = Callable[[uuid.UUID], dict[str, str]]  # a user id -> its Authorization header
_SUBSCRIPTION = subscription(Settings())
HANDLERS = batch_handlers(_SUBSCRIPTION.handlers, _SUBSCRIPTION.batch)


async def deliver(db: Database, consumer: str, envelope: Envelope) -> bool:
    """Apply ``envelope`` as the consumer named ``consumer`` would; False when the inbox
    says it was applied before."""
    return bool(await deliver_batch(db, consumer, [envelope]))


async def deliver_batch(db: Database, consumer: str, envelopes: list[Envelope]) -> list[uuid.UUID]:
    """Apply ``envelopes`` as one batch of the consumer named ``consumer``; returns the
    message ids new to its inbox."""
    return await apply_batch_as_consumer(db, consumer, HANDLERS, envelopes)


def order(
    user_id: uuid.UUID,
    status: OrderStatus,
    *,
    order_id: uuid.UUID | None = None,
    qty: str | None = "10",
    notional: str | None = None,
    filled_qty: str = "0",
    avg: str | None = None,
    fill: tuple[str, str] | None = None,
    reject_reason: str | None = None,
    symbol: str = "ACME",
) -> OrderChanged:
    snapshot = OrderSnapshot(
        id=order_id or uuid.uuid4(),
        user_id=user_id,
        client_order_id="c-1",
        symbol=symbol,
        side="buy",
        type="limit",
        time_in_force="day",
        qty=D(qty) if qty else None,
        notional=D(notional) if notional else None,
        limit_price=D("101.25"),
        filled_qty=D(filled_qty),
        filled_avg_price=D(avg) if avg else None,
        status=status,
        reject_reason=reject_reason,
        updated_at=datetime.now(UTC),
        created_at=datetime(2026, 12, 1, 14, 30, tzinfo=UTC),
    )
    made = None
    if fill is not None:
        made = Fill(
            id=uuid.uuid4(),
            qty=D(fill[0]),
            price=D(fill[1]),
            liquidity="taker",
            ts=datetime.now(UTC),
        )
    return OrderChanged(order=snapshot, fill=made)


def auto_run(user_id: uuid.UUID, outcome: str, reason: str | None = None) -> AutoRunFinished:
    succeeded = outcome == "succeeded"
    return AutoRunFinished.model_validate(
        {
            "run_id": uuid.uuid4(),
            "recurring_order_id": uuid.uuid4(),
            "user_id": user_id,
            "symbol": "ACME",
            "side": "buy",
            "outcome": outcome,
            "scheduled_for": datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
            "order_id": uuid.uuid4(),
            "client_order_id": "auto-1",
            "filled_qty": "4" if succeeded else None,
            "filled_avg_price": "25.5" if succeeded else None,
            "reason": reason,
        }
    )


def alert(user_id: uuid.UUID, symbol: str = "BRK.B", action: str = "notify") -> AlertTriggered:
    return AlertTriggered.model_validate(
        {
            "symbol": symbol,
            "alert_id": uuid.uuid4(),
            "user_id": user_id,
            "condition": "crosses_above",
            "price": "150.00",
            "last_price": "150.25",
            "action": action,
            "client_order_id": "alert-1" if action == "order" else None,
        }
    )


def account(
    user_id: uuid.UUID, reason: str = "deposit", amount: str | None = "1000.5"
) -> AccountUpdated:
    return AccountUpdated(
        user_id=user_id,
        cash=D("1500.5"),
        reserved_cash=D("0"),
        reason=reason,
        amount=D(amount) if amount else None,
        activity_id=uuid.uuid4() if amount else None,
    )


def registered(user_id: uuid.UUID, name: str | None = "Ada") -> UserRegistered:
    return UserRegistered(user_id=user_id, email=f"{user_id.hex}@example.com", name=name)


# -- real servers ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serve(app: Any, *, lifespan: Literal["on", "off"] = "on") -> AsyncIterator[str]:
    """``app`` under uvicorn on 127.0.0.1 and a free port; yields its base URL."""
    options = {"ws": "websockets-sansio", "timeout_graceful_shutdown": 5}
    async with served(app, lifespan=lifespan, **options) as port:
        yield f"127.0.0.1:{port}"


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic()
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint: answers each POST with the next scripted status (the last one
    repeats) and records what it got."""

    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.received.append(Received(time.monotonic(), headers, await request.body()))
        index = min(len(self.received), len(self.statuses)) - 1
        return JSONResponse({"ok": True}, status_code=self.statuses[index])

    def json(self, index: int) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.received[index].body)
        return body
