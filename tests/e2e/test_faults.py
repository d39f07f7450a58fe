"""Faults while orders flow: RabbitMQ restarted, each service killed (SIGKILL) and
restarted by the supervisor. Afterwards every order is final or resting, every ledger
balances (cash and shares conserved across the participants), nothing is lost and nothing
is applied twice."""

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from types import ModuleType

import httpx
import pytest

from bourse.testing.api import Trader, eventually, fresh_symbol, ledgers_balance, signup
from bourse.testing.infra import restart_broker

pytestmark = [pytest.mark.e2e, pytest.mark.fault]
CASH, SHARES, ROUNDS = Decimal("100000.00"), Decimal("1000"), 30
SETTLED = {"filled", "canceled", "rejected", "new", "partially_filled"}


def kill(tools: ModuleType, program: str) -> Callable[[], None]:
    """SIGKILL the program; its supervisor restarts it."""

    def fault() -> None:
        with tools.supervisor() as proxy:
            proxy.supervisor.signalProcess(program, "KILL")

    return fault


async def flow_with(
    api: httpx.AsyncClient, fault: Callable[[], None], wait_ready: Callable[..., Awaitable[None]]
) -> None:
    symbol = await fresh_symbol(api)
    traders = [await signup(api) for _ in range(6)]
    for trader in traders:
        await trader.deposit(str(CASH))
        await trader.deposit_shares(symbol, str(SHARES))
    orders: list[tuple[Trader, str]] = []

    async def trade_round(i: int) -> None:
        seller, buyer = traders[i % 6], traders[(i + 1) % 6]
        price = f"{100 + i % 5}.00"
        for trader, side in ((seller, "sell"), (buyer, "buy")):
            response = await trader.post(
                "/api/v1/orders",
                {
                    "symbol": symbol,
                    "side": side,
                    "type": "limit",
                    "time_in_force": "gtc",
                    "qty": str(1 + i % 3),
                    "limit_price": price,
                    "client_order_id": f"f{i}-{side}",
                },
            )
            if response.status_code == 202:
                orders.append((trader, response.json()["id"]))

    for i in range(ROUNDS // 2):
        await trade_round(i)
    await asyncio.to_thread(fault)
    for i in range(ROUNDS // 2, ROUNDS):  # sent while the fault is being repaired
        for _attempt in range(100):
            try:
                await trade_round(i)
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)

    async def all_settled() -> bool:
        for trader, order_id in orders:
            response = await trader.get(f"/api/v1/orders/{order_id}")
            if response.status_code != 200 or response.json()["status"] not in SETTLED:
                return False
        return True

    await wait_ready()
    await eventually(all_settled, timeout=120, interval=0.5)
    await eventually(
        lambda: ledgers_balance(traders, symbol, CASH, SHARES), timeout=60, interval=0.5
    )


async def test_rabbitmq_restarted_mid_flow(
    api: httpx.AsyncClient, wait_ready: Callable[..., Awaitable[None]]
) -> None:
    await flow_with(api, restart_broker, wait_ready)


@pytest.mark.parametrize(
    "program", ["order", "trader", "exchange-0", "exchange-1", "stock", "user"]
)
async def test_a_service_killed_mid_flow(
    api: httpx.AsyncClient,
    tools: ModuleType,
    program: str,
    wait_ready: Callable[..., Awaitable[None]],
) -> None:
    assert program in (tools.process_states() or {}), f"{program} is not running"
    await wait_ready()
    await flow_with(api, kill(tools, program), wait_ready)
