"""The portfolio route served directly (:mod:`bourse.common.direct`): reading the
portfolio, which trading clients poll. It resolves what FastAPI would inject, in the
order FastAPI solves it, and calls the declared endpoint."""

from fastapi import Response
from starlette.requests import Request

from bourse.auth.deps import authenticate
from bourse.common.direct import DirectRoute, json_response
from bourse.messaging.runtime import database
from bourse.portfolio.api import routes


async def get_portfolio(request: Request) -> Response:
    user = await authenticate(request)
    return json_response(await routes.portfolio(user, await database(request), request))


ROUTES = [DirectRoute("/api/v1/portfolio", get_portfolio, "GET")]
