"""Inputs that once gave a 500 or were accepted silently (issue 10): every one is a 422
problem with a stable code now. Recurring orders (POST and PATCH) and alerts (POST)."""

import uuid
from typing import Any

import httpx
import pytest

Json = dict[str, Any]
RECURRING = "/api/v1/auto/recurring-orders"
ALERTS = "/api/v1/auto/alerts"
DAILY = {"frequency": "daily", "at": "10:00", "timezone": "America/New_York"}
ARABIC_12 = "\u0661\u0662"  # Arabic-Indic digits: Decimal() reads them as 12
FULLWIDTH_12 = "\uff11\uff12"

BAD_DECIMALS: list[tuple[object, str]] = [
    ("1e400", "validation_error"),
    ("1" * 40, "validation_error"),
    (10**39, "validation_error"),
    (1e300, "validation_error"),
    ("1_000", "validation_error"),
    (ARABIC_12, "validation_error"),
    (FULLWIDTH_12, "validation_error"),
    (" 1", "validation_error"),
    ("+1", "validation_error"),
    ("1.", "validation_error"),
    (".5", "validation_error"),
    ("Infinity", "validation_error"),
    (False, "validation_error"),
    ([], "validation_error"),
]
EDGE_TIMES: list[object] = [
    "9999-12-31T23:59:59-14:00",  # overflowed converting to UTC
    "0001-01-01T00:00:00+14:00",
    "9999-01-01T00:00:00Z",  # overflowed in the schedule
    "0001-01-01T00:00:00Z",
    "9001-01-01T00:00:00",
    "1969-12-31T23:59:59Z",
    1772000000,  # a number is not an ISO 8601 time
]


def problem(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: Json = response.json()
    assert body["code"] == code and {"type", "title", "status", "detail"} <= set(body)
    return body


@pytest.fixture
def me(headers_for: Any) -> dict[str, str]:
    headers: dict[str, str] = headers_for(uuid.uuid4())
    return headers


async def recurring(client: httpx.AsyncClient, me: dict[str, str], **body: Any) -> Json:
    payload = {"symbol": "ACME", "side": "buy", "qty": "2", "schedule": DAILY} | body
    response = await client.post(RECURRING, json=payload, headers=me)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


def alert_body(**change: Any) -> Json:
    return {"symbol": "ACME", "condition": "above", "price": "100", "action": "notify"} | change


# Recurring orders ----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "code"), BAD_DECIMALS)
async def test_recurring_decimals(
    client: httpx.AsyncClient, me: dict[str, str], value: object, code: str
) -> None:
    item = await recurring(client, me)
    for field, extra in (("qty", {}), ("notional", {"qty": None})):
        payload = {"symbol": "ACME", "side": "buy", "schedule": DAILY, field: value} | extra
        problem(await client.post(RECURRING, json=payload, headers=me), 422, code)
        patched = await client.patch(
            f"{RECURRING}/{item['id']}", json={field: value} | extra, headers=me
        )
        problem(patched, 422, code)


async def test_recurring_values_beyond_the_limits(
    client: httpx.AsyncClient, me: dict[str, str]
) -> None:
    item = await recurring(client, me)
    for body, code in (
        ({"qty": "99999999999999999999"}, "invalid_qty"),
        ({"qty": 1e19}, "invalid_qty"),
        ({"qty": None, "notional": "1" * 20}, "invalid_notional"),
    ):
        payload = {"symbol": "ACME", "side": "buy", "schedule": DAILY} | body
        problem(await client.post(RECURRING, json=payload, headers=me), 422, code)
        patched = await client.patch(f"{RECURRING}/{item['id']}", json=body, headers=me)
        problem(patched, 422, code)


@pytest.mark.parametrize("when", EDGE_TIMES)
@pytest.mark.parametrize("field", ["start_at", "end_at"])
async def test_recurring_times_at_the_edge_of_the_calendar(
    client: httpx.AsyncClient, me: dict[str, str], field: str, when: object
) -> None:
    item = await recurring(client, me)
    payload = {"symbol": "ACME", "side": "buy", "qty": "2", "schedule": DAILY, field: when}
    body = problem(await client.post(RECURRING, json=payload, headers=me), 422, "validation_error")
    expected = "1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z" if isinstance(when, str) else "ISO"
    assert expected in body["errors"][0]["msg"]
    patched = await client.patch(f"{RECURRING}/{item['id']}", json={field: when}, headers=me)
    problem(patched, 422, "validation_error")


@pytest.mark.parametrize(
    "schedule",
    [
        DAILY,
        {"cron": "0 0 29 2 *", "timezone": "Pacific/Kiritimati"},  # once in four years
        {"frequency": "monthly", "day_of_month": 28, "at": "23:59", "timezone": "Etc/GMT+12"},
        {"frequency": "biweekly", "timezone": "Pacific/Kiritimati"},
    ],
)
async def test_the_last_accepted_times_work(
    client: httpx.AsyncClient, me: dict[str, str], schedule: Json
) -> None:
    """At the ends of the accepted range, in the zones furthest from UTC, a schedule runs
    (or says it never will), never overflows."""
    late = await recurring(client, me, schedule=schedule, start_at="9000-12-01T00:00:00Z")
    assert late["next_run_at"].startswith(("9000-12", "9001-01", "9004-02"))
    response = await client.post(
        RECURRING,
        json={"symbol": "ACME", "side": "buy", "qty": "2", "schedule": schedule}
        | {"start_at": "9000-12-31T23:00:00+00:00", "end_at": "9000-12-31T23:59:59Z"},
        headers=me,
    )
    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        problem(response, 422, "schedule_never_runs")
    early = await recurring(client, me, schedule=schedule, start_at="1970-01-01T00:00:00Z")
    assert early["next_run_at"] > "2026-03-02"  # from now on, never in the past


@pytest.mark.parametrize(
    ("schedule", "code"),
    [
        ({"frequency": "daily", "at": ""}, "invalid_schedule"),
        ({"cron": "* * * * *", "at": ""}, "invalid_schedule"),
        ({"frequency": "daily", "timezone": ""}, "invalid_timezone"),
    ],
)
async def test_empty_parts_are_refused_not_defaulted(
    client: httpx.AsyncClient, me: dict[str, str], schedule: Json, code: str
) -> None:
    item = await recurring(client, me)
    payload = {"symbol": "ACME", "side": "buy", "qty": "2", "schedule": schedule}
    problem(await client.post(RECURRING, json=payload, headers=me), 422, code)
    patched = await client.patch(
        f"{RECURRING}/{item['id']}", json={"schedule": schedule}, headers=me
    )
    problem(patched, 422, code)


async def test_unknown_symbols_are_refused(client: httpx.AsyncClient, me: dict[str, str]) -> None:
    payload = {"symbol": "NOPE", "side": "buy", "qty": "2", "schedule": DAILY}
    problem(await client.post(RECURRING, json=payload, headers=me), 422, "unknown_symbol")
    item = await recurring(client, me)
    patched = await client.patch(f"{RECURRING}/{item['id']}", json={"symbol": "NOPE"}, headers=me)
    problem(patched, 422, "unknown_symbol")
    moved = await client.patch(f"{RECURRING}/{item['id']}", json={"symbol": "msft"}, headers=me)
    assert moved.status_code == 200 and moved.json()["symbol"] == "MSFT"


async def test_quantities_off_the_lot_size_are_refused(
    client: httpx.AsyncClient, me: dict[str, str]
) -> None:
    """BULK trades in lots of 10: 15 could never execute."""
    payload = {"symbol": "BULK", "side": "buy", "qty": "15", "schedule": DAILY}
    problem(await client.post(RECURRING, json=payload, headers=me), 422, "invalid_lot_size")
    item = await recurring(client, me, symbol="BULK", qty="20")
    for change in ({"qty": "25"}, {"qty": "0.5"}):
        patched = await client.patch(f"{RECURRING}/{item['id']}", json=change, headers=me)
        problem(patched, 422, "invalid_lot_size")
    acme = await recurring(client, me, qty="3")
    to_bulk = await client.patch(f"{RECURRING}/{acme['id']}", json={"symbol": "BULK"}, headers=me)
    problem(to_bulk, 422, "invalid_lot_size")
    by_notional = await recurring(client, me, symbol="BULK", qty=None, notional="15")
    assert by_notional["notional"] == "15"  # a notional buy has no lot to respect


# Alerts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "code"), BAD_DECIMALS)
async def test_alert_decimals(
    client: httpx.AsyncClient, me: dict[str, str], value: object, code: str
) -> None:
    problem(await client.post(ALERTS, json=alert_body(price=value), headers=me), 422, code)
    for order in (
        {"side": "buy", "qty": value},
        {"side": "buy", "notional": value},
        {"side": "buy", "qty": "1", "type": "limit", "limit_price": value},
    ):
        body = alert_body(action="order", order=order)
        problem(await client.post(ALERTS, json=body, headers=me), 422, code)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"price": "99999999999999999999"}, "invalid_price"),
        ({"action": "order", "order": {"side": "buy", "qty": 1e19}}, "invalid_qty"),
        (
            {"action": "order", "order": {"side": "buy", "qty": "1", "type": "limit"}}
            | {"order": {"side": "buy", "qty": "1", "type": "limit", "limit_price": "1" * 20}},
            "invalid_price",
        ),
        ({"symbol": "NOPE"}, "unknown_symbol"),
        (
            {"symbol": "BULK", "action": "order", "order": {"side": "buy", "qty": "5"}},
            "invalid_lot_size",
        ),
        (
            {"action": "order", "order": {"side": "buy", "qty": "1", "type": "limit"}}
            | {"order": {"side": "buy", "qty": "1", "type": "limit", "limit_price": "10.005"}},
            "invalid_tick_size",
        ),
        *(({"expires_at": when}, "validation_error") for when in EDGE_TIMES),
    ],
)
async def test_alert_values(
    client: httpx.AsyncClient, me: dict[str, str], change: Json, code: str
) -> None:
    problem(await client.post(ALERTS, json=alert_body(**change), headers=me), 422, code)


async def test_an_alert_may_expire_at_the_end_of_the_range(
    client: httpx.AsyncClient, me: dict[str, str]
) -> None:
    body = alert_body(symbol="brk.b", expires_at="9000-12-31T23:59:59+00:00")
    response = await client.post(ALERTS, json=body, headers=me)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["symbol"], created["expires_at"]) == ("BRK.B", "9000-12-31T23:59:59Z")
