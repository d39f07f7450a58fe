"""A rolling deploy under load: ``scripts/deploy.sh --target local`` restarts every process
of the running stack one at a time (each HTTP replica drained from nginx first) while
authenticated reads and order placements flow through nginx. No request fails, no order is
lost, none is placed twice, and the ledgers balance afterwards.

The load behaves like any well-behaved HTTP client: a request that got no response at all
on a reused keep-alive connection (nginx closes idle client connections when it reloads) is
sent again. That is safe for the orders too: each carries an Idempotency-Key and a
client_order_id, so a repeat returns the first order. Those resends are counted and
reported; any answer that is not a success is a failure."""

import asyncio
import functools
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from bourse.testing.api import Trader, all_pages, eventually, fresh_symbol, ledgers_balance, signup

pytestmark = [pytest.mark.e2e, pytest.mark.fault]
ROOT = Path(__file__).resolve().parents[2]
CASH, SHARES = Decimal("100000.00"), Decimal("1000")
SETTLED = {"filled", "canceled", "rejected", "new", "partially_filled"}
STALE_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass
class Load:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    resent: int = 0
    orders: list[tuple[Trader, str]] = field(default_factory=list)
    running: bool = True

    async def send(self, call: Callable[[], Awaitable[httpx.Response]], ok: int) -> Any:
        for _attempt in range(3):
            try:
                response = await call()
            except STALE_CONNECTION:
                self.resent += 1
                continue
            self.statuses[response.status_code] += 1
            if response.status_code != ok:
                self.failures.append(f"{response.status_code} {response.text[:200]}")
                return None
            return response.json()
        self.failures.append("no response after 3 attempts")
        return None


async def trade(load: Load, trader: Trader, symbol: str, side: str, worker: int) -> None:
    n = 0
    while load.running:
        n += 1
        key = f"roll-{worker}-{n}"
        body = {
            "symbol": symbol,
            "side": side,
            "type": "limit",
            "time_in_force": "gtc",
            "qty": "1",
            "limit_price": f"{100 + n % 3}.00",
            "client_order_id": key,
        }
        headers = {**trader.auth, "Idempotency-Key": key}
        post = functools.partial(trader.api.post, "/api/v1/orders", json=body, headers=headers)
        placed = await load.send(post, 202)
        if placed is not None:
            load.orders.append((trader, key))
        await load.send(lambda: trader.get("/api/v1/account"), 200)
        await load.send(lambda: trader.api.get(f"/api/v1/stocks/{symbol}/quote"), 200)
        await asyncio.sleep(0.2)


async def deploy() -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts" / "deploy.sh"),
        "--target",
        "local",
        cwd=ROOT,
        env=os.environ.copy(),  # BOURSE_STACK=e2e: this suite's stack
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return await process.wait(), output.decode(errors="replace")


async def test_a_rolling_deploy_under_load_fails_no_request_and_loses_no_order(
    api: httpx.AsyncClient, wait_ready: Callable[..., Awaitable[None]]
) -> None:
    await wait_ready()
    symbol = await fresh_symbol(api)
    traders = [await signup(api) for _ in range(4)]
    for trader in traders:
        await trader.deposit(str(CASH))
        await trader.deposit_shares(symbol, str(SHARES))
    load = Load()
    workers = [
        asyncio.create_task(trade(load, trader, symbol, ("buy", "sell")[i % 2], i))
        for i, trader in enumerate(traders)
    ]
    status, output = await deploy()
    load.running = False
    await asyncio.gather(*workers)

    assert status == 0, output[-4000:]
    assert "restarted order-2" in output and "restarted exchange-1" in output, output[-4000:]
    assert load.failures == [], (load.failures[:10], load.statuses)
    assert load.statuses[202] >= 20, load.statuses  # orders really flowed during the deploy
    print(f"rolling deploy: {dict(load.statuses)}, resent after a closed keep-alive: {load.resent}")

    async def one_order_each_settled() -> bool:
        for trader, key in load.orders:
            found = await trader.get(f"/api/v1/orders/by-client-id/{key}")
            if found.status_code != 200 or found.json()["status"] not in SETTLED:
                return False
        return True

    await eventually(one_order_each_settled, timeout=120, interval=0.5)
    for trader in traders:
        placed = await all_pages(trader, "/api/v1/orders", status="all", symbol=symbol)
        keys = [o["client_order_id"] for o in placed]
        assert len(keys) == len(set(keys)) == sum(1 for t, _ in load.orders if t is trader)
    await eventually(
        lambda: ledgers_balance(traders, symbol, CASH, SHARES), timeout=60, interval=0.5
    )
