"""JSON request bodies read with exact decimals: numbers are parsed as ``Decimal``
(FastAPI's own parsing goes through float), NaN and Infinity are refused. Failures are
the usual 422 ``validation_error`` problem."""

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number here")


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency that parses the request body into ``model``."""

    async def parse(request: Request) -> M:
        raw = await request.body()
        try:
            data = json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            error = {"loc": ("body",), "msg": f"invalid JSON: {exc}", "type": "json_invalid"}
            raise RequestValidationError([error]) from exc
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = [
                {"loc": ("body", *err["loc"]), "msg": err["msg"], "type": err["type"]}
                for err in exc.errors()
            ]
            raise RequestValidationError(errors) from exc

    return parse


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body that :func:`json_body` parses."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
