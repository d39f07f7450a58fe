"""An exchange shard restarted from an empty journal (its directory wiped: a replaced
volume) through the whole stack: the orders resting on the lost book end canceled with
the reason exchange_reset, their reservations released and their owners told; an order
sent while the shard was down is journaled by the new journal and rests; a new crossing
pair fills, and the trade reaches the tape. Stops, wipes and restarts one exchange
program of this test's own stack instance (never RabbitMQ)."""

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from decimal import Decimal
from types import ModuleType

import httpx
import pytest

from bourse.contracts.topology import shard_of
from bourse.testing.api import Trader, eventually, fills_of, fresh_symbol, money, signup

pytestmark = [pytest.mark.e2e, pytest.mark.fault]
CASH, SHARES = Decimal("10000.00"), Decimal("100")


def stop_and_wipe(tools: ModuleType, symbol: str) -> str:
    """Stop the shard of ``symbol`` and delete its journal directory; its program."""
    shard = shard_of(symbol, tools.SHARDS)
    program = f"exchange-{shard}"
    with tools.supervisor() as proxy:
        proxy.supervisor.stopProcess(program)
    shutil.rmtree(tools.VAR / "exchange" / f"shard-{shard}")
    return program


def start(tools: ModuleType, program: str) -> None:
    with tools.supervisor() as proxy:
        proxy.supervisor.startProcess(program)


async def test_a_shard_restarted_from_an_empty_journal(
    api: httpx.AsyncClient, tools: ModuleType, wait_ready: Callable[..., Awaitable[None]]
) -> None:
    await wait_ready()
    symbol = await fresh_symbol(api)
    buyer, seller = await signup(api), await signup(api)
    await buyer.deposit(str(CASH))
    await seller.deposit_shares(symbol, str(SHARES))
    bid = await buyer.order(symbol=symbol, side="buy", qty="10", limit_price="90.00")
    ask = await seller.order(symbol=symbol, side="sell", qty="5", limit_price="110.00")
    await buyer.wait_status(bid["id"], "new")
    await seller.wait_status(ask["id"], "new")
    assert money((await buyer.account())["reserved_cash"]) == Decimal(900)

    program = await asyncio.to_thread(stop_and_wipe, tools, symbol)
    try:  # an order sent while the shard is down: its command waits in the queue
        queued = await buyer.order(symbol=symbol, side="buy", qty="1", limit_price="95.00")
        await eventually(lambda: reserved(buyer, Decimal(995)))
        await asyncio.sleep(0.5)  # (the command is sent right after the risk answer)
    finally:
        await asyncio.to_thread(start, tools, program)
    await wait_ready()
    for trader, order in ((buyer, bid), (seller, ask)):
        ended = await trader.wait_status(order["id"], "canceled")
        assert ended["reject_reason"] == "exchange_reset"
    await buyer.wait_status(queued["id"], "new")  # journaled by the new journal: it rests
    await eventually(lambda: reserved(buyer, Decimal(95)))
    await eventually(lambda: released(seller, symbol))
    await eventually(lambda: told(seller, ask["id"]))
    assert (await buyer.order_status(queued["id"]))["status"] == "new"

    sell = await seller.order(symbol=symbol, side="sell", qty="4", limit_price="100.00")
    await seller.wait_status(sell["id"], "new")  # the new journal's book
    buy = await buyer.order(symbol=symbol, side="buy", qty="4", limit_price="100.00")
    await buyer.wait_status(buy["id"], "filled")
    await seller.wait_status(sell["id"], "filled")
    await eventually(lambda: settled(buyer, seller, symbol), timeout=30)
    await eventually(lambda: on_the_tape(buyer, symbol))


async def reserved(trader: Trader, cash: Decimal) -> bool:
    return money((await trader.account())["reserved_cash"]) == cash


async def released(trader: Trader, symbol: str) -> bool:
    return money((await trader.holding(symbol))["reserved_qty"]) == 0


async def told(trader: Trader, order_id: str) -> bool:
    items = (await trader.get("/api/v1/notifications")).json()["items"]
    return any(
        n["type"] == "order.canceled"
        and n["data"]["order_id"] == order_id
        and "exchange reset" in n["body"]
        for n in items
    )


async def settled(buyer: Trader, seller: Trader, symbol: str) -> bool:
    """Each ledger is its deposits and its one fill (4 at 100), nothing from the lost book."""
    cash = [money((await t.account())["cash"]) for t in (buyer, seller)]
    held = [money((await t.holding(symbol))["qty"]) for t in (buyer, seller)]
    fills = [(f["side"], f["qty"], f["price"]) for f in await fills_of(buyer, symbol)]
    expected = ([CASH - 400, Decimal(400)], [Decimal(4), SHARES - 4], [("buy", "4", "100")])
    return (cash, held, fills) == expected


async def on_the_tape(trader: Trader, symbol: str) -> bool:
    tape = (await trader.get(f"/api/v1/stocks/{symbol}/trades")).json()["items"]
    return [(t["price"], t["qty"]) for t in tape] == [("100", "4")]
