"""The order routes served directly (:mod:`bourse.common.direct`): reading one order,
listing them and placing one, the requests a trading client sends most. Each resolves
what FastAPI would inject, in the order FastAPI solves it, and calls the declared
endpoint."""

from fastapi import Response
from starlette.requests import Request

from bourse.auth.deps import authenticate
from bourse.common.direct import DirectRoute, headers_of, json_response, query_model, query_of
from bourse.common.idempotency import idempotency_key_of
from bourse.messaging.runtime import database
from bourse.order.api import routes


async def get_order(request: Request) -> Response:
    user = await authenticate(request)
    order = await routes.get_order(request.path_params["order_id"], user, await database(request))
    return json_response(order)


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


ROUTES = [
    DirectRoute("/api/v1/orders/{order_id:uuid}", get_order, "GET"),
    DirectRoute("/api/v1/orders", list_orders, "GET"),
    DirectRoute("/api/v1/orders", place_order, "POST"),
]
