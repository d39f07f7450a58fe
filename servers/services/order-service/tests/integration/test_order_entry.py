"""Order entry commits concurrent orders together (group commit) and POST /orders/batch
places up to 100 orders at once, each as if it had been POSTed alone."""

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from bourse.messaging.uow import UnitOfWork
from bourse.order.db import orders
from bourse.order.entry import OrderEntry
from bourse.testing.auth import TestIssuer

Json = dict[str, Any]


def body(**fields: Any) -> Json:
    return {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "qty": "10",
        "limit_price": "101.25",
        **fields,
    }


async def count_of(client: httpx.AsyncClient, user: uuid.UUID) -> int:
    async with client.app.state.runtime.db.transaction() as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(orders).where(orders.c.user_id == user)
        return int(await session.scalar(query) or 0)


async def test_concurrent_orders_are_each_answered_once_committed(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    headers = issuer.headers(user)
    responses = await asyncio.gather(
        *(app_client.post("/api/v1/orders", json=body(), headers=headers) for _ in range(40))
    )
    assert [r.status_code for r in responses] == [202] * 40
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 40
    for order_id in ids:  # answered only after the commit: readable at once
        got = await app_client.get(f"/api/v1/orders/{order_id}", headers=headers)
        assert got.status_code == 200 and got.json()["status"] == "pending_new"


async def test_the_entry_groups_what_arrives_while_a_commit_runs(
    app_client: httpx.AsyncClient,
) -> None:
    entry: OrderEntry = app_client.app.state.entry  # type: ignore[attr-defined]
    groups: list[int] = []
    create = entry._create

    async def counting(uow: UnitOfWork, group: list[Any]) -> Any:
        groups.append(len(group))
        return await create(uow, group=group)

    entry._create = counting  # type: ignore[method-assign]
    try:
        from decimal import Decimal  # noqa: PLC0415

        from bourse.order.domain.placement import OrderRequest  # noqa: PLC0415
        from bourse.order.entry import NewOrder  # noqa: PLC0415

        request = OrderRequest("AAPL", "buy", "limit", "gtc", Decimal(1), None, Decimal(100), None)
        user = uuid.uuid4()
        outcomes = await asyncio.gather(
            *(entry.place([NewOrder(user, request, None)]) for _ in range(30))
        )
    finally:
        entry._create = create  # type: ignore[method-assign]
    assert all(isinstance(o[0], tuple) and o[0][1] for o in outcomes)
    assert sum(groups) == 30 and len(groups) < 30  # fewer transactions than orders


async def test_a_batch_answers_each_order_in_its_place(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    batch = [
        body(client_order_id="b-1"),
        body(qty="1.5"),  # off the lot size
        body(symbol="NOPE"),
        body(side="sideways"),  # not an order body at all
        body(client_order_id="b-1"),  # the same id again: the first one's order
        body(side="sell", qty="3", limit_price="99"),
    ]
    response = await app_client.post(
        "/api/v1/orders/batch", json={"orders": batch}, headers=issuer.headers(user)
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 6
    first, off_lot, unknown, invalid, again, sell = results
    assert first["order"]["client_order_id"] == "b-1"
    assert first["order"]["status"] == "pending_new"
    assert off_lot["error"]["code"] == "invalid_lot_size"
    assert unknown["error"]["code"] == "unknown_symbol"
    assert invalid["error"]["code"] == "validation_error"
    assert again["order"]["id"] == first["order"]["id"]
    assert sell["order"]["side"] == "sell" and sell["order"]["qty"] == "3"
    assert await count_of(app_client, user) == 2


async def test_a_batch_of_an_existing_client_order_id_places_nothing_new(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    user = uuid.uuid4()
    headers = issuer.headers(user)
    first = await app_client.post("/api/v1/orders", json=body(client_order_id="x"), headers=headers)
    again = await app_client.post(
        "/api/v1/orders/batch", json={"orders": [body(client_order_id="x")]}, headers=headers
    )
    assert again.json()["results"][0]["order"]["id"] == first.json()["id"]
    assert await count_of(app_client, user) == 1


async def test_a_used_client_order_id_is_answered_with_its_order_even_if_invalid_now(
    app_client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    """Found after the group's insert: the repeat (valid or not) gets the first order,
    the new orders of the same group are created."""
    user = uuid.uuid4()
    headers = issuer.headers(user)
    first = await app_client.post("/api/v1/orders", json=body(client_order_id="u"), headers=headers)
    batch = [
        body(client_order_id="u", qty="1.5"),  # off the lot size, but already placed
        body(client_order_id="v"),
        body(client_order_id="u"),
        body(client_order_id="w", qty="1.5"),  # off the lot size, and new: refused
    ]
    response = await app_client.post(
        "/api/v1/orders/batch", json={"orders": batch}, headers=headers
    )
    invalid_repeat, new, repeat, refused = response.json()["results"]
    assert invalid_repeat["order"]["id"] == repeat["order"]["id"] == first.json()["id"]
    assert new["order"]["client_order_id"] == "v"
    assert refused["error"]["code"] == "invalid_lot_size"
    assert await count_of(app_client, user) == 2


async def test_a_batch_is_bounded(app_client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    headers = issuer.headers(uuid.uuid4())
    for orders_ in ([], [body()] * 101):
        response = await app_client.post(
            "/api/v1/orders/batch", json={"orders": orders_}, headers=headers
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
