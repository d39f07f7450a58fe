"""/ws/trade-updates on two real instances sharing one database: numbered updates, a
``since`` replay followed by live updates with no gap and no repeat (also while updates
keep coming during a replay of several pages), delivery across instances and from the
order API, per-user isolation, and the close codes (4401, 4400, 4422)."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bourse.common.db import Database
from bourse.contracts.events import Payload
from bourse.order.api.trade_updates import REPLAY_PAGE
from bourse.order.config import Settings
from bourse.order.main import create_app
from bourse.testing.app import served
from bourse.testing.auth import TestIssuer
from bourse.testing.polling import eventually
from bourse.testing.ws import nothing_more, receive

from order_support import Tap, cancel_event, order_event, place, stage_all

Json = dict[str, Any]
SERVER = {"ws": "websockets-sansio", "timeout_graceful_shutdown": 5}


@dataclass(frozen=True)
class Instance:
    app: FastAPI
    address: str  # host:port


@pytest.fixture(scope="module")
async def instance_a(app_client: httpx.AsyncClient) -> AsyncIterator[Instance]:
    """The tests' instance (its lifespan runs already) under uvicorn."""
    app: FastAPI = app_client.app  # type: ignore[attr-defined]
    async with served(app, lifespan="off", **SERVER) as port:
        await app.state.listener.wait_connected()
        yield Instance(app, f"127.0.0.1:{port}")


@pytest.fixture(scope="module")
async def instance_b(
    order_settings: Settings, issuer: TestIssuer, published_orders: Tap
) -> AsyncIterator[Instance]:
    """A second instance on the same database and vhost (a replica)."""
    app = create_app(order_settings, verifier=issuer.verifier())
    async with served(app, lifespan="on", **SERVER) as port:
        await app.state.listener.wait_connected()
        yield Instance(app, f"127.0.0.1:{port}")


@pytest.fixture
def address(instance_a: Instance, instance_b: Instance) -> str:
    """host:port of instance A; both instances are up (and consuming) from here on."""
    return instance_a.address


@pytest.fixture
def address_b(instance_b: Instance) -> str:
    return instance_b.address


@pytest.fixture
def user() -> uuid.UUID:
    return uuid.uuid4()


def url(address: str, token: str, since: int | str | None = None) -> str:
    query = f"?token={token}" + ("" if since is None else f"&since={since}")
    return f"ws://{address}/ws/trade-updates{query}"


@contextlib.asynccontextmanager
async def stream(
    address: str, token: str, since: int | str | None = None
) -> AsyncIterator[ClientConnection]:
    async with connect(url(address, token, since), proxy=None, max_queue=None) as ws:
        yield ws


async def seqs(ws: ClientConnection, count: int) -> list[int]:
    return [(await receive(ws))["seq"] for _ in range(count)]


def changes(user: uuid.UUID, count: int) -> list[Payload]:
    """``count`` order events of ``user``: a new order, its fills, its cancel ..."""
    made: list[Payload] = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            made.append(order_event(user, "new"))
        elif kind == 1:
            made.append(order_event(user, "partially_filled", fill=("1", "100")))
        else:
            made.append(cancel_event(user))
    return made


async def closed_with(ws_url: str) -> tuple[int | None, str | None]:
    async with connect(ws_url, proxy=None) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    return ws.close_code, ws.close_reason


@pytest.fixture
def db(instance_a: Instance) -> Database:
    """The instances' database (its transactions write trade updates, as the service's)."""
    database: Database = instance_a.app.state.runtime.db
    return database


async def test_a_bad_token_closes_with_4401(address: str) -> None:
    assert (await closed_with(url(address, "garbage")))[0] == 4401


@pytest.mark.parametrize("since", ["-1", "x", "1.5", "", "9" * 19])
async def test_a_malformed_since_closes_with_4400(
    address: str, issuer: TestIssuer, user: uuid.UUID, since: str
) -> None:
    code, reason = await closed_with(url(address, issuer.token(user), since))
    assert code == 4400 and reason and "since" in reason


async def test_a_since_beyond_the_last_seq_closes_with_4422(
    address: str, db: Database, issuer: TestIssuer, user: uuid.UUID
) -> None:
    await stage_all(db, changes(user, 2))
    code, reason = await closed_with(url(address, issuer.token(user), 3))
    assert (code, reason) == (4422, "since is beyond your last seq (2)")


async def test_updates_are_numbered_and_pushed_live_on_every_instance(
    address: str, address_b: str, db: Database, issuer: TestIssuer, user: uuid.UUID
) -> None:
    stranger = uuid.uuid4()
    token = issuer.token(user)
    async with (
        stream(address, token, 0) as on_a,
        stream(address_b, token, 0) as on_b,
        stream(address_b, issuer.token(stranger), 0) as strangers,
    ):
        await asyncio.sleep(0.2)  # both are live
        made = changes(user, 3)
        await stage_all(db, made)
        for ws in (on_a, on_b):
            got = [await receive(ws) for _ in range(3)]
            assert [m["seq"] for m in got] == [1, 2, 3]
            assert [m["event"] for m in got] == ["new", "partial_fill", "pending_cancel"]
            assert got[1]["price"] == "100" and got[1]["qty"] == "1"
            assert got[0]["order"]["id"] == str(made[0].order.id)  # type: ignore[attr-defined]
            await nothing_more(ws, 0.1)
        await nothing_more(strangers)


async def test_since_replays_what_was_missed_then_goes_live(
    address: str, address_b: str, db: Database, issuer: TestIssuer, user: uuid.UUID
) -> None:
    token = issuer.token(user)
    await stage_all(db, changes(user, 5))
    async with stream(address_b, token, 2) as ws:
        assert await seqs(ws, 3) == [3, 4, 5]
        await stage_all(db, changes(user, 2))
        assert await seqs(ws, 2) == [6, 7]
        await nothing_more(ws)
    async with stream(address, token, 7) as ws:  # at the end: only what comes next
        await nothing_more(ws)
        await stage_all(db, changes(user, 1))
        assert await seqs(ws, 1) == [8]
    async with stream(address, token) as ws:  # no since: only what comes next
        await nothing_more(ws)
        await stage_all(db, changes(user, 1))
        assert await seqs(ws, 1) == [9]
        await nothing_more(ws)


async def test_a_long_replay_while_updates_keep_coming_has_no_gap_and_no_repeat(
    address_b: str, db: Database, issuer: TestIssuer, user: uuid.UUID
) -> None:
    backlog = REPLAY_PAGE * 2 + 50
    await stage_all(db, changes(user, backlog))
    more, rounds = 5, 40

    async def keep_coming() -> None:
        for _ in range(rounds):
            await stage_all(db, changes(user, more))
            await asyncio.sleep(0.005)

    async with stream(address_b, issuer.token(user), 10) as ws:
        producing = asyncio.create_task(keep_coming())
        got = await seqs(ws, backlog + more * rounds - 10)
        await producing
        assert got == list(range(11, backlog + more * rounds + 1))
        await nothing_more(ws)


async def test_an_order_placed_and_cancelled_through_the_api_reaches_the_stream(
    address: str, app_client: httpx.AsyncClient, issuer: TestIssuer, user: uuid.UUID
) -> None:
    async with stream(address, issuer.token(user), 0) as ws:
        await asyncio.sleep(0.2)
        placed = await place(app_client, issuer, user)
        assert placed.status_code == 202, placed.text
        order_id = placed.json()["id"]
        path = f"/api/v1/orders/{order_id}"
        cancel = await app_client.delete(path, headers=issuer.headers(user))
        assert cancel.status_code == 202, cancel.text
        got = [await receive(ws) for _ in range(2)]
        assert [(m["seq"], m["event"]) for m in got] == [(1, "pending_new"), (2, "pending_cancel")]
        assert {m["order"]["id"] for m in got} == {order_id}
        shown = (await app_client.get(path, headers=issuer.headers(user))).json()
        assert got[1]["order"] == shown  # exactly the API's order object


async def test_updates_stored_while_the_listener_is_down_are_caught_up(
    db: Database, instance_b: Instance, address_b: str, issuer: TestIssuer, user: uuid.UUID
) -> None:
    listener = instance_b.app.state.listener
    old_pid = listener.server_pid
    async with stream(address_b, issuer.token(user), 0) as ws:
        await asyncio.sleep(0.2)
        async with db.transaction() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old_pid})
        await stage_all(db, changes(user, 2))

        async def reconnected() -> bool:
            pid = listener.server_pid
            return pid is not None and pid != old_pid

        assert await eventually(reconnected)
        await stage_all(db, changes(user, 1))
        assert await seqs(ws, 3) == [1, 2, 3]
        await nothing_more(ws)
