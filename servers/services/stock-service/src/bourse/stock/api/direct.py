"""The stock routes served directly (:mod:`bourse.common.direct`): reading a quote, the
market data clients poll most. It resolves what FastAPI would inject, in the order
FastAPI solves it (no credentials: market data is public), and calls the declared
endpoint."""

from fastapi import Response
from starlette.requests import Request

from bourse.common.direct import DirectRoute, json_response
from bourse.messaging.runtime import database
from bourse.stock.api import market
from bourse.stock.api.deps import path_symbol


async def get_quote(request: Request) -> Response:
    symbol = await path_symbol(request.path_params["symbol"])
    return json_response(await market.get_quote(symbol, await database(request)))


ROUTES = [DirectRoute("/api/v1/stocks/{symbol}/quote", get_quote, "GET")]
