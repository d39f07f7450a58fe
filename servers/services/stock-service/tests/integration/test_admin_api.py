"""Admin: create instruments, halt and resume (role admin, real EdDSA tokens); each
change is staged as instrument.changed in the outbox."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from bourse.contracts import Envelope

Headers = dict[str, str]
Symbols = Callable[[], str]
Staged = Callable[[str], Awaitable[list[Envelope]]]


def instrument_body(symbol: str) -> dict[str, Any]:
    return {"symbol": symbol, "name": "Zeta Corp.", "tick_size": "0.05", "lot_size": "10"}


async def test_admin_creates_an_instrument(
    client: httpx.AsyncClient, symbols: Symbols, admin_headers: Headers, staged: Staged
) -> None:
    symbol = symbols()
    response = await client.post(
        "/api/v1/stocks", json=instrument_body(symbol), headers=admin_headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "symbol": symbol,
        "name": "Zeta Corp.",
        "tick_size": "0.05",
        "lot_size": "10",
        "status": "trading",
        "last_price": None,
        "maker_fee_bps": 0,
        "taker_fee_bps": 5,
    }
    assert (await client.get(f"/api/v1/stocks/{symbol}")).json() == created
    (event,) = await staged(f"instrument.changed.{symbol}")
    assert event.type == "instrument.changed"
    assert event.payload == {**created, "last_price": None}
    quote = (await client.get(f"/api/v1/stocks/{symbol}/quote")).json()
    assert quote["symbol"] == symbol and quote["last"] is None


async def test_an_instrument_has_the_fees_the_admin_sets(
    client: httpx.AsyncClient, symbols: Symbols, admin_headers: Headers, staged: Staged
) -> None:
    symbol = symbols()
    body = instrument_body(symbol) | {"maker_fee_bps": 2, "taker_fee_bps": 30}
    response = await client.post("/api/v1/stocks", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    assert (response.json()["maker_fee_bps"], response.json()["taker_fee_bps"]) == (2, 30)
    (event,) = await staged(f"instrument.changed.{symbol}")
    assert (event.payload["maker_fee_bps"], event.payload["taker_fee_bps"]) == (2, 30)


@pytest.mark.parametrize("fee", [-1, 1001, "5", 2.5, None])
async def test_a_fee_is_whole_basis_points_up_to_ten_percent(
    client: httpx.AsyncClient, symbols: Symbols, admin_headers: Headers, fee: object
) -> None:
    body = instrument_body(symbols()) | {"taker_fee_bps": fee}
    response = await client.post("/api/v1/stocks", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_symbol_is_created_once(
    client: httpx.AsyncClient, symbols: Symbols, admin_headers: Headers
) -> None:
    body = instrument_body(symbols())
    assert (
        await client.post("/api/v1/stocks", json=body, headers=admin_headers)
    ).status_code == 201
    again = await client.post("/api/v1/stocks", json=body, headers=admin_headers)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "symbol_exists"
    seeded = instrument_body("AAPL")
    conflict = await client.post("/api/v1/stocks", json=seeded, headers=admin_headers)
    assert conflict.json()["code"] == "symbol_exists"


@pytest.mark.parametrize(
    "overrides",
    [
        {"symbol": "lower"},
        {"symbol": "1ABC"},
        {"symbol": "TOOLONGSYMB"},
        {"symbol": "A-B"},
        {"symbol": ""},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "nul\x00byte"},
        {"tick_size": "0.000000000001"},
        {"tick_size": "0.000000001"},  # 9 places: more than any service stores
        {"tick_size": "1_0"},
        {"tick_size": "\u0661"},  # an Arabic-Indic 1
        {"tick_size": "1e400"},
        {"tick_size": 1e300},
        {"lot_size": "1" * 40},
        {"symbol": "\uff21APL"},  # a fullwidth A
        {"symbol": "AAPL\n"},
        {"tick_size": "0"},
        {"tick_size": "-0.01"},
        {"tick_size": "abc"},
        {"tick_size": "NaN"},
        {"lot_size": "Infinity"},
        {"lot_size": 0},
        {"extra": True},
    ],
)
async def test_invalid_instruments_are_422(
    client: httpx.AsyncClient, symbols: Symbols, admin_headers: Headers, overrides: dict[str, Any]
) -> None:
    body = instrument_body(symbols()) | overrides
    response = await client.post("/api/v1/stocks", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_a_missing_field_is_422(
    client: httpx.AsyncClient, symbols: Symbols, admin_headers: Headers
) -> None:
    body = instrument_body(symbols())
    del body["lot_size"]
    response = await client.post("/api/v1/stocks", json=body, headers=admin_headers)
    assert response.status_code == 422


async def test_halt_and_resume(
    client: httpx.AsyncClient, symbols: Symbols, admin_headers: Headers, staged: Staged
) -> None:
    symbol = symbols()
    await client.post("/api/v1/stocks", json=instrument_body(symbol), headers=admin_headers)
    halted = await client.post(f"/api/v1/stocks/{symbol}/halt", headers=admin_headers)
    assert halted.status_code == 200, halted.text
    assert halted.json()["status"] == "halted"
    assert (await client.get(f"/api/v1/stocks/{symbol}")).json()["status"] == "halted"
    resumed = await client.post(f"/api/v1/stocks/{symbol}/resume", headers=admin_headers)
    assert resumed.status_code == 200 and resumed.json()["status"] == "trading"
    events = await staged(f"instrument.changed.{symbol}")
    assert [e.payload["status"] for e in events] == ["trading", "halted", "trading"]


async def test_halting_an_unknown_symbol_is_404(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    response = await client.post("/api/v1/stocks/NOSUCH/halt", headers=admin_headers)
    assert response.status_code == 404 and response.json()["code"] == "unknown_symbol"


ADMIN_CALLS = [
    ("/api/v1/stocks", {"symbol": "ZZZ", "name": "Z", "tick_size": "1", "lot_size": "1"}),
    ("/api/v1/stocks/AAPL/halt", None),
    ("/api/v1/stocks/AAPL/resume", None),
]


@pytest.mark.parametrize(("path", "body"), ADMIN_CALLS)
async def test_a_non_admin_is_forbidden(
    client: httpx.AsyncClient, user_headers: Headers, path: str, body: Any
) -> None:
    response = await client.post(path, json=body, headers=user_headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert (await client.get("/api/v1/stocks/AAPL")).json()["status"] == "trading"


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
@pytest.mark.parametrize(("path", "body"), ADMIN_CALLS)
async def test_without_a_valid_token_is_401(
    client: httpx.AsyncClient, header: str | None, path: str, body: Any
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_an_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, symbols: Symbols, admin_headers: Headers, staged: Staged
) -> None:
    symbol = symbols()
    headers = admin_headers | {"Idempotency-Key": str(uuid.uuid4())}
    body = instrument_body(symbol)
    first = await client.post("/api/v1/stocks", json=body, headers=headers)
    repeat = await client.post("/api/v1/stocks", json=body, headers=headers)
    assert first.status_code == repeat.status_code == 201
    assert repeat.json() == first.json()
    assert len(await staged(f"instrument.changed.{symbol}")) == 1
    other = await client.post("/api/v1/stocks", json=instrument_body(symbols()), headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
