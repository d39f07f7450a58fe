"""/api/v1/auto/recurring-orders through HTTP with real tokens: create, list, read,
change, pause, resume, delete, runs; another user's order is a 404; bad input is a 422
problem with a stable code; Idempotency-Key replays."""

import uuid
from typing import Any

import httpx
import pytest

from auto_support import Headers, ManualClock

Json = dict[str, Any]
BASE = "/api/v1/auto/recurring-orders"
DAILY = {"frequency": "daily", "at": "10:00", "timezone": "America/New_York"}


def problem(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code and body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


@pytest.fixture
def me(headers_for: Headers) -> dict[str, str]:
    return headers_for(uuid.uuid4())


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Json:
    payload = {"symbol": "ACME", "side": "buy", "qty": "2", "schedule": DAILY} | body
    response = await client.post(BASE, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def test_create_a_recurring_order(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    body = await create(client, me, symbol="brk.b", notional=100.5, qty=None)
    assert body["symbol"] == "BRK.B"
    assert (body["side"], body["qty"], body["notional"]) == ("buy", None, "100.5")
    assert body["status"] == "active"
    assert body["schedule"] == {
        "cron": None,
        "frequency": "daily",
        "at": "10:00",
        "day_of_week": None,
        "day_of_month": None,
        "timezone": "America/New_York",
    }
    # The clock says Monday 2026-03-02 12:00:30 UTC = 07:00 in New York: today at 10:00.
    assert body["next_run_at"] == "2026-03-02T15:00:00Z"
    assert body["start_at"] == "2026-03-02T12:00:30Z"
    assert body["last_run_at"] is None and body["end_at"] is None
    fetched = await client.get(f"{BASE}/{body['id']}", headers=me)
    assert fetched.json() == body


async def test_a_cron_schedule_from_a_start_date(
    client: httpx.AsyncClient, me: dict[str, str]
) -> None:
    body = await create(
        client,
        me,
        schedule={"cron": "*/15 14 * * 1-5"},
        start_at="2026-03-07T00:00:00Z",
        end_at="2026-04-01T00:00:00",
    )
    assert body["next_run_at"] == "2026-03-09T14:00:00Z"  # Saturday start: Monday
    assert body["end_at"] == "2026-04-01T00:00:00Z"  # no zone: UTC


async def test_list_pages_newest_first(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    ids = [(await create(client, me))["id"] for _ in range(3)]
    first = (await client.get(BASE, params={"limit": 2}, headers=me)).json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    rest = (await client.get(BASE, params={"limit": 2, "after": first["next"]}, headers=me)).json()
    assert [item["id"] for item in rest["items"]] == ids[:1] and rest["next"] is None
    bad = await client.get(BASE, params={"after": "nope"}, headers=me)
    problem(bad, 422, "invalid_cursor")


async def test_change_a_recurring_order(
    client: httpx.AsyncClient, me: dict[str, str], clock: ManualClock
) -> None:
    created = await create(client, me)
    path = f"{BASE}/{created['id']}"
    changed = await client.patch(
        path,
        json={"notional": "250", "schedule": {"frequency": "monthly", "day_of_month": 15}},
        headers=me,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["qty"], body["notional"]) == (None, "250")
    assert body["schedule"]["frequency"] == "monthly"
    assert body["next_run_at"] == "2026-03-15T09:30:00Z"
    body = (await client.patch(path, json={"end_at": None, "side": "buy"}, headers=me)).json()
    assert body["end_at"] is None and body["notional"] == "250"
    refused = await client.patch(path, json={"side": "sell"}, headers=me)  # a notional sell
    problem(refused, 422, "invalid_order")


async def test_pause_and_resume(
    client: httpx.AsyncClient, me: dict[str, str], clock: ManualClock
) -> None:
    created = await create(client, me)
    path = f"{BASE}/{created['id']}"
    paused = (await client.post(f"{path}/pause", headers=me)).json()
    assert (paused["status"], paused["next_run_at"]) == ("paused", None)
    assert (await client.post(f"{path}/pause", headers=me)).json()["status"] == "paused"
    clock.advance(days=3)  # Thursday: the slots missed while paused do not run
    resumed = (await client.post(f"{path}/resume", headers=me)).json()
    assert (resumed["status"], resumed["next_run_at"]) == ("active", "2026-03-05T15:00:00Z")
    again = (await client.post(f"{path}/resume", headers=me)).json()
    assert again == resumed


async def test_resume_after_the_end_completes(
    client: httpx.AsyncClient, me: dict[str, str], clock: ManualClock
) -> None:
    created = await create(client, me, end_at="2026-03-04T00:00:00Z")
    path = f"{BASE}/{created['id']}"
    await client.post(f"{path}/pause", headers=me)
    clock.advance(days=5)
    assert (await client.post(f"{path}/resume", headers=me)).json()["status"] == "completed"
    problem(await client.post(f"{path}/pause", headers=me), 409, "recurring_order_completed")
    problem(
        await client.patch(path, json={"qty": "1"}, headers=me), 409, "recurring_order_completed"
    )


async def test_delete(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    created = await create(client, me)
    path = f"{BASE}/{created['id']}"
    deleted = await client.delete(path, headers=me)
    assert deleted.status_code == 204 and deleted.content == b""
    problem(await client.get(path, headers=me), 404, "not_found")
    problem(await client.delete(path, headers=me), 404, "not_found")
    listed = (await client.get(BASE, headers=me)).json()["items"]
    assert created["id"] not in [item["id"] for item in listed]


async def test_another_users_recurring_order_is_not_found(
    client: httpx.AsyncClient, me: dict[str, str], headers_for: Headers
) -> None:
    created = await create(client, me)
    other = headers_for(uuid.uuid4())
    path = f"{BASE}/{created['id']}"
    for response in (
        await client.get(path, headers=other),
        await client.patch(path, json={"qty": "5"}, headers=other),
        await client.post(f"{path}/pause", headers=other),
        await client.post(f"{path}/resume", headers=other),
        await client.get(f"{path}/runs", headers=other),
        await client.delete(path, headers=other),
    ):
        problem(response, 404, "not_found")
    assert (await client.get(BASE, headers=other)).json() == {"items": [], "next": None}
    mine = (await client.get(path, headers=me)).json()
    assert (mine["qty"], mine["status"]) == ("2", "active")  # untouched
    problem(await client.get(f"{BASE}/{uuid.uuid4()}", headers=me), 404, "not_found")


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    problem(await client.get(BASE), 401, "unauthorized")
    problem(await client.post(BASE, json={}), 401, "unauthorized")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"qty": None}, "invalid_order"),
        ({"notional": "10"}, "invalid_order"),  # and qty: both
        ({"side": "sell", "qty": None, "notional": "10"}, "invalid_order"),
        ({"qty": "0"}, "invalid_qty"),
        ({"qty": "-3"}, "invalid_qty"),
        ({"qty": "abc"}, "validation_error"),
        ({"qty": True}, "validation_error"),
        ({"qty": "NaN"}, "validation_error"),
        ({"notional": "10.123", "qty": None}, "invalid_notional"),
        ({"side": "hold"}, "validation_error"),
        ({"symbol": "1ABC"}, "validation_error"),
        ({"symbol": None}, "validation_error"),
        ({"schedule": {}}, "invalid_schedule"),
        ({"schedule": {"cron": "* * * * *", "frequency": "daily"}}, "invalid_schedule"),
        ({"schedule": {"frequency": "hourly"}}, "invalid_schedule"),
        ({"schedule": {"frequency": "daily", "at": "25:00"}}, "invalid_schedule"),
        ({"schedule": {"frequency": "monthly", "day_of_month": 31}}, "invalid_schedule"),
        ({"schedule": {"frequency": "weekly", "day_of_week": "funday"}}, "invalid_schedule"),
        ({"schedule": {"frequency": "daily", "timezone": "Nowhere/City"}}, "invalid_timezone"),
        ({"schedule": {"cron": "every minute"}}, "invalid_cron"),
        ({"schedule": {"cron": "0 0 30 2 *"}}, "invalid_cron"),
        ({"schedule": {"frequency": "daily", "extra": 1}}, "validation_error"),
        ({"end_at": "2026-03-01T00:00:00Z"}, "invalid_time_range"),
        (
            {"start_at": "2026-04-01T00:00:00Z", "end_at": "2026-03-20T00:00:00Z"},
            "invalid_time_range",
        ),
        ({"end_at": "2026-03-02T13:00:00Z"}, "schedule_never_runs"),
        ({"start_at": "yesterday"}, "validation_error"),
        ({"unknown": 1}, "validation_error"),
    ],
)
async def test_bad_input_is_422(
    client: httpx.AsyncClient, me: dict[str, str], change: Json, code: str
) -> None:
    payload = {"symbol": "ACME", "side": "buy", "qty": "2", "schedule": DAILY} | change
    problem(await client.post(BASE, json=payload, headers=me), 422, code)


async def test_json_numbers_are_read_as_exact_decimals(
    client: httpx.AsyncClient, me: dict[str, str]
) -> None:
    raw = b'{"symbol":"ACME","side":"buy","notional":100.10,"schedule":{"cron":"* * * * *"}}'
    response = await client.post(BASE, content=raw, headers=me)
    assert response.status_code == 201, response.text
    assert response.json()["notional"] == "100.1"


async def test_bad_json_is_422(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    response = await client.post(BASE, content=b"{not json", headers=me)
    problem(response, 422, "validation_error")


async def test_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, me: dict[str, str]
) -> None:
    payload = {"symbol": "ACME", "side": "buy", "qty": "1", "schedule": DAILY}
    headers = me | {"Idempotency-Key": "create-1"}
    first = await client.post(BASE, json=payload, headers=headers)
    again = await client.post(BASE, json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replay"] == "true"
    assert len((await client.get(BASE, headers=me)).json()["items"]) == 1
    other = await client.post(BASE, json=payload | {"qty": "2"}, headers=headers)
    problem(other, 422, "idempotency_key_reused")
    path = f"{BASE}/{first.json()['id']}"
    key = me | {"Idempotency-Key": "delete-1"}
    assert (await client.delete(path, headers=key)).status_code == 204
    replayed = await client.delete(path, headers=key)
    assert replayed.status_code == 204 and replayed.headers["Idempotent-Replay"] == "true"


async def test_runs_of_a_new_order_are_empty(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    created = await create(client, me)
    runs = await client.get(f"{BASE}/{created['id']}/runs", headers=me)
    assert runs.json() == {"items": [], "next": None}
