"""Direct routes (bourse.common.direct) against their FastAPI declarations: the same
request through each, and the two answers compared."""

from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import FastAPI

from bourse.common.direct import DirectRoute

VOLATILE = ("date", "x-correlation-id")  # differ between any two answers


async def both(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    """The answer of ``app``'s direct route, then that of its declared FastAPI route
    (``client`` is in front of ``app``)."""
    direct = await client.request(method, path, **kwargs)
    assert direct.request.extensions.get("route") is None  # a plain request, nothing set
    routes = app.router.routes
    saved = list(routes)
    routes[:] = [route for route in routes if not isinstance(route, DirectRoute)]
    try:
        declared = await client.request(method, path, **kwargs)
    finally:
        routes[:] = saved
    return direct, declared


def same(direct: httpx.Response, declared: httpx.Response, ignore: Sequence[str] = ()) -> None:
    """The same status, headers and body, but for the fields in ``ignore`` (and so the
    content length, when there are any)."""
    assert direct.status_code == declared.status_code, (direct.text, declared.text)
    heads = [{k: v for k, v in r.headers.items() if k not in VOLATILE} for r in (direct, declared)]
    if ignore:
        heads = [{k: v for k, v in h.items() if k != "content-length"} for h in heads]
    assert heads[0] == heads[1]
    bodies = [r.json() for r in (direct, declared)]
    for body in bodies:
        for name in ignore:
            body.pop(name, None)
    assert bodies[0] == bodies[1]


async def same_answer(
    app: FastAPI,
    client: httpx.AsyncClient,
    method: str,
    path: str,
    status: int,
    ignore: Sequence[str] = (),
    **kwargs: Any,
) -> httpx.Response:
    """The direct route and its declaration answer alike (:func:`same`), with ``status``;
    the direct route's answer."""
    direct, declared = await both(app, client, method, path, **kwargs)
    same(direct, declared, ignore)
    assert direct.status_code == status, direct.text
    return direct
