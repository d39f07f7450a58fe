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


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every ``{"$ref": "#/$defs/X"}`` replaced by X (no recursive models)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body that :func:`json_body` parses. Nested models
    are inlined: a ``#/$defs/...`` reference would not resolve inside the OpenAPI document."""
    raw = model.model_json_schema()
    schema = _inline(raw, raw.get("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
