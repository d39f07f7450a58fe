"""GET /api/v1/notifications served directly (bourse.common.direct) answers exactly as its
FastAPI declaration does: a new user's empty inbox, one with notifications read and
unread, the unread only, limits and pages by cursor, bad queries and refused credentials;
another user's notifications are never shown, and the path's other methods are still
FastAPI's. And the route is documented by its declaration."""

import uuid

import httpx
import pytest
from fastapi import FastAPI

from bourse.common.db import Database
from bourse.common.direct import undocumented
from bourse.common.pagination import encode_cursor
from bourse.notifications.api.direct import ROUTES
from bourse.testing.direct import both, same, same_answer
from bourse.testing.messaging import envelope_of

from notifications_support import Headers, deliver, order

NOTIFICATIONS = "/api/v1/notifications"


def test_every_direct_route_is_documented(app: FastAPI) -> None:
    assert undocumented(app, ROUTES) == []


async def listed(
    app: FastAPI, client: httpx.AsyncClient, query: str, headers: dict[str, str]
) -> httpx.Response:
    """The direct route's answer to a list, once the declared route has answered it alike."""
    path = f"{NOTIFICATIONS}?{query}"
    return await same_answer(app, client, "GET", path, headers=headers, status=200)


async def ids(
    app: FastAPI, client: httpx.AsyncClient, query: str, headers: dict[str, str]
) -> list[str]:
    return [item["id"] for item in (await listed(app, client, query, headers)).json()["items"]]


async def seed(db: Database, consumer: str, user_id: uuid.UUID, n: int) -> None:
    """``n`` canceled-order notifications for the user, oldest first (as test_api seeds)."""
    for _ in range(n):
        await deliver(db, consumer, envelope_of(order(user_id, "canceled")))


async def test_a_new_users_inbox_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, headers_for: Headers
) -> None:
    headers = headers_for(uuid.uuid4())
    for query in ("", "unread=true", "limit=1", f"after={encode_cursor(str(uuid.uuid4()))}"):
        answer = (await listed(app, client, query, headers)).json()
        assert answer == {"items": [], "next": None, "unread_count": 0}


async def test_listing_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, db: Database, consumer: str, headers_for: Headers
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    await seed(db, consumer, owner, 5)
    await seed(db, consumer, stranger, 2)
    headers = headers_for(owner)
    every = await ids(app, client, "", headers)  # newest first
    assert len(every) == 5
    for read in (every[0], every[3]):
        done = await client.post(f"{NOTIFICATIONS}/{read}/read", headers=headers)
        assert done.status_code == 200, done.text
    unread = [every[1], every[2], every[4]]

    answer = (await listed(app, client, "", headers)).json()
    assert [item["id"] for item in answer["items"]] == every
    assert answer["unread_count"] == 3
    assert [item["read_at"] is not None for item in answer["items"]] == [
        True, False, False, True, False,
    ]  # fmt: skip
    assert answer["items"][0]["data"]  # the stored JSON, decoded
    assert await ids(app, client, "unread=true", headers) == unread
    assert await ids(app, client, "unread=1&limit=500", headers) == unread
    assert await ids(app, client, "unread=false&unread=on", headers) == unread  # the last one
    assert await ids(app, client, "unread=off", headers) == every
    assert await ids(app, client, "after=", headers) == every  # no cursor
    assert await ids(app, client, "limit=1", headers) == every[:1]
    theirs = await ids(app, client, "", headers_for(stranger))
    assert len(theirs) == 2 and not set(theirs) & set(every)

    for query, expected in (("limit=2", every), ("unread=true&limit=2", unread)):
        assert await paged(app, client, query, headers) == [
            expected[i : i + 2] for i in range(0, len(expected), 2)
        ]


async def paged(
    app: FastAPI, client: httpx.AsyncClient, query: str, headers: dict[str, str]
) -> list[list[str]]:
    """The ids of each page, by the ``next`` cursor to the last page."""
    pages: list[list[str]] = []
    page = (await listed(app, client, query, headers)).json()
    while True:
        pages.append([item["id"] for item in page["items"]])
        if page["next"] is None:
            return pages
        page = (await listed(app, client, f"{query}&after={page['next']}", headers)).json()


@pytest.mark.parametrize(
    "query",
    [
        "unread=maybe",
        "unread=",
        "unread=true&unread=2",  # the last of a repeated name
        "limit=0",
        "limit=501",
        "limit=ten",
        "limit=",
        "after=%%%",
        f"after={encode_cursor('not a notification id')}",
        f"after={'A' * 201}",
        "unread=x&limit=-1&after=" + "A" * 201,  # every error, in their order
    ],
)
async def test_a_bad_query_answers_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient, headers_for: Headers, query: str
) -> None:
    headers = headers_for(uuid.uuid4())
    path = f"{NOTIFICATIONS}?{query}"
    await same_answer(app, client, "GET", path, headers=headers, status=422)


async def test_refused_credentials_answer_as_the_declared_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for query in ("", "?unread=x&limit=0"):  # the caller is checked before the query
        for headers in (
            {},  # no credentials
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": "Basic dXNlcjpwYXNz"},  # not a bearer token, no key
        ):
            direct, declared = await both(
                app, client, "GET", NOTIFICATIONS + query, headers=headers
            )
            same(direct, declared)
            assert direct.status_code == 401


async def test_other_methods_on_the_path_are_the_declared_routes_business(
    app: FastAPI, client: httpx.AsyncClient, headers_for: Headers
) -> None:
    headers = headers_for(uuid.uuid4())
    for method in ("POST", "PUT", "DELETE", "HEAD"):
        direct, declared = await both(app, client, method, NOTIFICATIONS, headers=headers)
        assert direct.status_code == declared.status_code == 405
        assert direct.headers["allow"] == declared.headers["allow"]
    read_all = f"{NOTIFICATIONS}/read-all"  # the paths below it are FastAPI's
    direct, declared = await both(app, client, "POST", read_all, headers=headers)
    same(direct, declared)
    assert direct.json() == {"marked": 0, "unread_count": 0}
