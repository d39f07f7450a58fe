"""Errors as RFC 9457 problem details (application/problem+json) with a stable ``code``.

Raise :class:`Problem` (or a helper) anywhere in a request; the handlers installed by
:func:`install_problem_handlers` turn it, validation errors and anything unexpected into
problem+json. An unexpected exception is logged and answered 500 without internals.
"""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://bourse.invalid/problems/"


class Problem(Exception):  # noqa: N818 (it is an answer, not only an error)
    def __init__(
        self,
        status: int,
        code: str,
        detail: str | None = None,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail or code.replace("_", " ")
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extra,
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), self.status, self.headers, media_type=PROBLEM_JSON)


def not_found(what: str = "resource") -> Problem:
    return Problem(404, "not_found", f"{what} not found")


def conflict(code: str, detail: str) -> Problem:
    return Problem(409, code, detail)


def unprocessable(code: str, detail: str) -> Problem:
    return Problem(422, code, detail)


def unauthorized(detail: str = "missing or invalid access token") -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def validation_problem(errors: Sequence[Any]) -> Problem:
    """422 ``validation_error`` listing pydantic's errors (where, what, which kind)."""
    listed = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in errors
    ]
    return Problem(422, "validation_error", "the request is not valid", errors=listed)


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.response()


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_problem(exc.errors()).response()


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers) if exc.headers else None
    return Problem(exc.status_code, code, detail, headers=headers).response()


def _sqlstate(exc: DBAPIError) -> str:
    orig = exc.orig
    cause = orig.__cause__ if orig is not None else None
    state = getattr(orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    return str(state or "")


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """PostgreSQL data exceptions (SQLSTATE class 22: bad encoding, out of range, too
    long) are the input's fault: a 422, never a 500, whichever field slipped through."""
    assert isinstance(exc, DBAPIError)
    if _sqlstate(exc).startswith("22"):
        log.warning(
            "input rejected by the database on %s %s: %s",
            request.method,
            request.url.path,
            _sqlstate(exc),
        )
        return Problem(422, "invalid_input", "a value in the request cannot be stored").response()
    return await _on_unexpected(request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Problem(500, "internal_error", "an unexpected error occurred").response()


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
