"""Direct routes: a service's hottest endpoints served by plain Starlette routes, ahead of
FastAPI's routing, without its per-request dependency solving and response validation.

Measured with bench-http (GET /api/v1/orders/{id} through nginx, 16 connections, one
sitting): order-service spent 0.59 ms of CPU per read through the FastAPI route, 0.51 ms
through a FastAPI route whose only parameter is the request, and 0.44 ms through a plain
Starlette route. The app's middleware and exception handlers apply to a direct route as
to any other (problem+json, metrics, correlation ids).

FastAPI's declaration of each such route stays: it is what the OpenAPI document (and
schemathesis) describe. A direct endpoint resolves the arguments by hand (see
:func:`bourse.auth.deps.authenticate`) and calls the declared endpoint function itself, so
the two never differ in what they do.
"""

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any, get_args, get_origin

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.params import Query
from pydantic import BaseModel, ValidationError, create_model
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoute(Route):
    """A Starlette route for one method. Another method on its path is not its business:
    it does not match at all, so FastAPI's routes of that path answer it (a 405 there
    lists every method the path allows). It names itself in the scope, as FastAPI's
    routes do, so that metrics label it by its path template."""

    def __init__(self, path: str, endpoint: Endpoint, method: str) -> None:
        super().__init__(path, endpoint, methods=[method], include_in_schema=False)
        self.methods = {method.upper()}  # without the HEAD Starlette adds to a GET

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.FULL:
            return Match.NONE, {}
        child_scope["route"] = self
        return match, child_scope


def serve_directly(app: FastAPI, routes: Sequence[DirectRoute]) -> None:
    """Put ``routes`` ahead of every other route. Each stands in for a FastAPI route of
    the same path template and method, declared for the docs (:func:`undocumented`)."""
    app.router.routes[:0] = routes


def undocumented(app: FastAPI, routes: Sequence[DirectRoute]) -> list[str]:
    """The direct routes that no FastAPI route of the app documents (a service's tests
    check that there are none)."""
    paths = app.openapi()["paths"]
    return [
        f"{method} {route.path}"
        for route in routes
        for method in route.methods or ()
        if method.lower() not in paths.get(_template(route.path), {})
    ]


def _template(path: str) -> str:
    """``/orders/{order_id:uuid}`` -> ``/orders/{order_id}``: FastAPI's spelling."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def json_response(
    model: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``model`` as FastAPI answers a ``response_model`` (by alias, JSON mode)."""
    body = model.__pydantic_serializer__.to_json(model, by_alias=True)
    return Response(body, status_code, dict(headers or {}), media_type="application/json")


def headers_of(response: Response) -> dict[str, str]:
    """The headers an endpoint set on FastAPI's ``response`` parameter (an empty
    ``Response()`` has a content-length of its own)."""
    return {k: v for k, v in response.headers.items() if k != "content-length"}


def query_model(endpoint: Callable[..., Any]) -> type[BaseModel]:
    """The query parameters of a declared endpoint as one model, of their very
    annotations (``Query`` and its constraints) and defaults. Scalars only: a list
    parameter would take every value of its name."""
    fields: dict[str, Any] = {
        name: (parameter.annotation, parameter.default)
        for name, parameter in inspect.signature(endpoint).parameters.items()
        if get_origin(parameter.annotation) is Annotated
        and any(isinstance(meta, Query) for meta in get_args(parameter.annotation)[1:])
    }
    return create_model(f"{endpoint.__name__}_query", **fields)


def query_of(request: Request, model: type[BaseModel]) -> dict[str, Any]:
    """The request's query as FastAPI reads it into ``model``'s parameters: the last value
    of a repeated name, defaults unvalidated, the same errors located in the query."""
    try:
        return dict(model.model_validate(dict(request.query_params)))
    except ValidationError as exc:
        raise located(exc, "query") from exc


def located(exc: ValidationError, *where: str) -> RequestValidationError:
    """``exc``'s errors as FastAPI reports a request's, each located under ``where``
    (``"query"``; ``"path", "order_id"``): the same 422 answer."""
    errors = [{**error, "loc": (*where, *error["loc"])} for error in exc.errors()]
    return RequestValidationError(errors)
