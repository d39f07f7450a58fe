"""The trader routes served directly (:mod:`bourse.common.direct`): reading the account,
the request a trading client polls most. It resolves what FastAPI would inject, in the
order FastAPI solves it, and calls the declared endpoint."""

from fastapi import Response
from starlette.requests import Request

from bourse.auth.deps import authenticate
from bourse.common.direct import DirectRoute, json_response
from bourse.messaging.runtime import database
from bourse.trader.api import routes


async def get_account(request: Request) -> Response:
    user = await authenticate(request)
    return json_response(await routes.account(user, await database(request)))


ROUTES = [DirectRoute("/api/v1/account", get_account, "GET")]
