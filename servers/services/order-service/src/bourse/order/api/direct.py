"""The order routes served directly (:mod:`bourse.common.direct`): reading one order,
listing them and placing one, the requests a trading client sends most, and reading
fills, the caller's and an order's. Each resolves what FastAPI would inject, in the order
FastAPI solves it, and calls the declared endpoint."""

import uuid

from fastapi import Response
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from bourse.auth.deps import authenticate
from bourse.common.direct import (
    DirectRoute,
    headers_of,
    json_response,
    located,
    query_model,
    query_of,
)
from bourse.common.idempotency import idempotency_key_of
from bourse.messaging.runtime import database
from bourse.order.api import routes


async def get_order(request: Request) -> Response:
    user = await authenticate(request)
    order = await routes.get_order(order_id_of(request), user, await database(request))
    return json_response(order)


_ORDER_ID = TypeAdapter(uuid.UUID)


def order_id_of(request: Request) -> uuid.UUID:
    """The path's order id (``/api/v1/orders/{order_id:uuid}...``) as FastAPI reads it.
    Starlette's convertor also takes one lacking some of its four hyphens: FastAPI refuses
    it with this 422."""
    raw = request.scope["path"].split("/orders/", 1)[1].split("/", 1)[0]
    try:
        return _ORDER_ID.validate_python(raw)
    except ValidationError as exc:
        raise located(exc, "path", "order_id") from exc


_LIST_QUERY = query_model(routes.list_orders)


async def list_orders(request: Request) -> Response:
    user = await authenticate(request)  # before the query: FastAPI solves dependencies first
    db = await database(request)
    return json_response(await routes.list_orders(user, db, **query_of(request, _LIST_QUERY)))


async def place_order(request: Request) -> Response:
    body = await routes.parse_create_body(request)
    user = await authenticate(request)
    key = idempotency_key_of(request)
    settings = await routes.settings_of(request)
    extra = Response()
    db = await database(request)
    result = await routes.place_order(body, user, db, settings, extra, request, key)
    if isinstance(result, Response):  # a stored answer, replayed as it was
        return result
    return json_response(result, 202, headers_of(extra))


async def order_fills(request: Request) -> Response:
    user = await authenticate(request)
    db = await database(request)
    return json_response(await routes.order_fills(order_id_of(request), user, db))


_FILLS_QUERY = query_model(routes.list_fills)


async def list_fills(request: Request) -> Response:
    user = await authenticate(request)  # before the query: FastAPI solves dependencies first
    db = await database(request)
    return json_response(await routes.list_fills(user, db, **query_of(request, _FILLS_QUERY)))


# An order id that is no UUID at all matches none of these: FastAPI's routes answer it (a
# 422, or another route's answer, as for /orders/by-client-id/fills).
ROUTES = [
    DirectRoute("/api/v1/orders/{order_id:uuid}", get_order, "GET"),
    DirectRoute("/api/v1/orders", list_orders, "GET"),
    DirectRoute("/api/v1/orders", place_order, "POST"),
    DirectRoute("/api/v1/orders/{order_id:uuid}/fills", order_fills, "GET"),
    DirectRoute("/api/v1/fills", list_fills, "GET"),
]
