"""The user routes served directly (:mod:`bourse.common.direct`): reading the caller's
own user. It resolves what FastAPI would inject, in the order FastAPI solves it, and
calls the declared endpoint."""

from fastapi import Response
from starlette.requests import Request

from bourse.auth.deps import authenticate
from bourse.common.direct import DirectRoute, json_response
from bourse.messaging.runtime import database
from bourse.user.api import routes


async def get_me(request: Request) -> Response:
    user = await authenticate(request)
    return json_response(await routes.me(user, await database(request)))


ROUTES = [DirectRoute("/api/v1/users/me", get_me, "GET")]
