"""The stock routes served directly (:mod:`bourse.common.direct`): reading a quote and
the book, the market data clients poll most. Each resolves what FastAPI would inject, in
the order FastAPI solves it (no credentials: market data is public), and calls the
declared endpoint."""

from fastapi import Response
from starlette.requests import Request

from bourse.common.direct import DirectRoute, json_response, query_model, query_of
from bourse.messaging.runtime import database
from bourse.stock.api import market
from bourse.stock.api.deps import path_symbol


async def get_quote(request: Request) -> Response:
    symbol = await path_symbol(request.path_params["symbol"])
    return json_response(await market.get_quote(symbol, await database(request)))


_BOOK_QUERY = query_model(market.get_book)


async def get_book(request: Request) -> Response:
    symbol = await path_symbol(request.path_params["symbol"])
    db = await database(request)  # before the query: FastAPI solves dependencies first
    return json_response(await market.get_book(symbol, db, **query_of(request, _BOOK_QUERY)))


ROUTES = [
    DirectRoute("/api/v1/stocks/{symbol}/quote", get_quote, "GET"),
    DirectRoute("/api/v1/stocks/{symbol}/book", get_book, "GET"),
]
