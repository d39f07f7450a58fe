"""The notification routes served directly (:mod:`bourse.common.direct`): listing the
inbox, which a client polls for its unread count. It resolves what FastAPI would inject,
in the order FastAPI solves it, and calls the declared endpoint."""

from fastapi import Response
from starlette.requests import Request

from bourse.auth.deps import authenticate
from bourse.common.direct import DirectRoute, json_response, query_model, query_of
from bourse.messaging.runtime import database
from bourse.notifications.api import routes

_LIST_QUERY = query_model(routes.list_notifications)


async def list_notifications(request: Request) -> Response:
    user = await authenticate(request)  # before the query: FastAPI solves dependencies first
    db = await database(request)
    query = query_of(request, _LIST_QUERY)
    return json_response(await routes.list_notifications(user, db, **query))


ROUTES = [DirectRoute("/api/v1/notifications", list_notifications, "GET")]
