"""Clients of the public API, for the end-to-end tests and the stack benchmarks: users
with tokens, polling, a fresh instrument per session (so tests never meet other tests'
resting orders)."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from bourse.testing import polling

Json = dict[str, Any]
ADMIN_EMAIL = "admin@bourse.dev"
ADMIN_PASSWORD = "admin-password-e2e"


@dataclass
class Trader:
    api: httpx.AsyncClient
    email: str
    user_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.api.get(path, headers=self.auth, **kwargs)

    async def post(self, path: str, body: Json | None = None, **kwargs: Any) -> httpx.Response:
        return await self.api.post(path, json=body, headers=self.auth, **kwargs)

    async def delete(self, path: str) -> httpx.Response:
        return await self.api.delete(path, headers=self.auth)

    async def account(self) -> Json:
        response = await self.get("/api/v1/account")
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    async def holding(self, symbol: str) -> Json:
        account = await self.account()
        empty = {"symbol": symbol, "qty": "0", "reserved_qty": "0", "available_qty": "0"}
        return next((h for h in account["holdings"] if h["symbol"] == symbol), empty)

    async def deposit(self, amount: str) -> None:
        response = await self.post("/api/v1/account/deposits", {"amount": amount})
        assert response.status_code == 201, response.text

    async def deposit_shares(self, symbol: str, qty: str) -> None:
        response = await self.post(
            "/api/v1/account/securities-deposits", {"symbol": symbol, "qty": qty}
        )
        assert response.status_code == 201, response.text

    async def order(self, **body: Any) -> Json:
        order = {"type": "limit", "time_in_force": "gtc", **body}
        response = await self.post("/api/v1/orders", order)
        assert response.status_code == 202, response.text
        placed: Json = response.json()
        return placed

    async def order_status(self, order_id: str) -> Json:
        response = await self.get(f"/api/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    async def wait_status(self, order_id: str, *statuses: str, timeout: float = 20) -> Json:
        async def check() -> Json | None:
            order = await self.order_status(order_id)
            return order if order["status"] in statuses else None

        found: Json = await eventually(check, timeout=timeout)
        return found


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 20, interval: float = 0.05
) -> Any:
    """:func:`bourse.testing.polling.eventually` with the stack's longer default wait."""
    return await polling.eventually(check, timeout=timeout, interval=interval)


async def signup(
    api: httpx.AsyncClient, email: str | None = None, password: str = "e2e-password-1"
) -> Trader:
    email = email or f"e2e-{uuid.uuid4().hex[:12]}@example.com"
    registered = await api.post(
        "/api/v1/auth/register", json={"email": email, "password": password}
    )
    assert registered.status_code in (201, 409), registered.text
    tokens = await api.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert tokens.status_code == 200, tokens.text
    token = tokens.json()["access_token"]
    me = await api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    return Trader(api, email, me.json()["id"], token)


async def fresh_symbol(
    api: httpx.AsyncClient, *, maker_fee_bps: int = 0, taker_fee_bps: int = 0
) -> str:
    """Create a new instrument (admin) and wait until every service trades it. Free of
    fees unless asked: most tests check settlement to the cent; test_fees.py charges them."""
    admin = await signup(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    symbol = "E" + uuid.uuid4().hex[:6].upper().replace("0", "A")
    created = await admin.post(
        "/api/v1/stocks",
        {
            "symbol": symbol,
            "name": f"E2E {symbol}",
            "tick_size": "0.01",
            "lot_size": "1",
            "maker_fee_bps": maker_fee_bps,
            "taker_fee_bps": taker_fee_bps,
        },
    )
    assert created.status_code == 201, created.text
    probe = await signup(api)

    async def known_to_trader() -> bool:
        response = await probe.post(
            "/api/v1/account/securities-deposits", {"symbol": symbol, "qty": "1"}
        )
        return response.status_code == 201

    async def known_to_auto() -> bool:  # it refuses alerts on symbols it has not learned
        alert = {"symbol": symbol, "condition": "above", "price": "1", "action": "notify"}
        response = await probe.post("/api/v1/auto/alerts", alert)
        if response.status_code == 201:
            await probe.delete(f"/api/v1/auto/alerts/{response.json()['id']}")
        return response.status_code == 201

    await eventually(known_to_trader)
    await eventually(known_to_auto)
    return symbol


def money(value: str | Decimal) -> Decimal:
    return Decimal(value)


async def ledgers_balance(
    traders: list[Trader], symbol: str, cash_each: Decimal, shares_each: Decimal
) -> bool:
    """Each trader started with ``cash_each`` and ``shares_each`` of ``symbol``: the totals
    are conserved, and each trader's ledger equals their fills (so a fill applied twice,
    which conservation alone would not see, fails here)."""
    total_cash, total_shares = Decimal(0), Decimal(0)
    for trader in traders:
        account = await trader.account()
        cash, held = money(account["cash"]), money((await trader.holding(symbol))["qty"])
        if cash < 0 or money(account["reserved_cash"]) < 0:
            return False
        expected_cash, expected_shares = cash_each, shares_each
        for fill in await fills_of(trader, symbol):
            amount = money(fill["qty"]) * money(fill["price"])
            sign = 1 if fill["side"] == "buy" else -1
            expected_cash -= sign * amount
            expected_shares += sign * money(fill["qty"])
        if (cash, held) != (expected_cash, expected_shares):
            return False
        total_cash, total_shares = total_cash + cash, total_shares + held
    count = len(traders)
    return total_cash == cash_each * count and total_shares == shares_each * count


async def fills_of(trader: Trader, symbol: str) -> list[Json]:
    return [f for f in await all_pages(trader, "/api/v1/fills") if f["symbol"] == symbol]


async def all_pages(trader: Trader, path: str, **params: Any) -> list[Json]:
    """Every item of a list endpoint, following its ``next`` cursor."""
    items: list[Json] = []
    after = None
    while True:
        query = {"limit": 500, **params, **({"after": after} if after else {})}
        page = (await trader.get(path, params=query)).json()
        items += page["items"]
        if not (after := page["next"]):
            return items
