"""wrk, the HTTP load generator (Debian's package, installed when missing and root), and
bench-e2e's load sent by it (wrk_orders.lua) instead of Python: the same
crossing limit orders, one per POST /orders, at about the same rate, for a fraction of
the generator's CPU (a Python client spends milliseconds of CPU per request, wrk tens of
microseconds), so that the two cores go to the stack.

The script paces each of wrk's threads on a schedule (one order every ``threads * 1000 /
rate`` ms, whichever connection is free), so the rate holds as long as enough connections
are free: at most ``connections`` orders are in flight. What was sent is read back from
the orders themselves: each client_order_id carries its send time."""

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bourse.bench.processes import children_cpu_seconds
from bourse.stack import ROOT
from bourse.testing.api import Trader, all_pages

LUA = Path(__file__).with_name("wrk_orders.lua")
Placed = tuple[Trader, str, datetime]  # who, the order id, when the client sent it
OrderBody = Callable[[str, str], dict[str, Any]]  # (symbol, side) -> a POST /orders body


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run([str(ROOT / "scripts" / "apt-install.sh"), "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("bench: wrk did not install")


async def load(
    base_url: str,
    pairs: list[tuple[Trader, Trader]],
    symbols: list[str],
    rate: float,
    seconds: float,
    connections: int,
    order_body: OrderBody,
) -> tuple[list[Placed], int, float, float]:
    """(orders placed, errors, seconds of load, the generator's CPU seconds: wrk's, and
    this process's while wrk ran). Reading the orders back afterwards is not the
    generator's doing, but the stack's CPU until the last fill includes it (a few hundred
    list reads against thousands of POSTs)."""
    tag = f"w{uuid.uuid4().hex[:8]}"
    threads = 2
    interval_ms = threads * 1000 / rate
    with tempfile.TemporaryDirectory() as tmp:
        senders = Path(tmp) / "senders"
        senders.write_text("".join(_senders(pairs, symbols)))
        senders.chmod(0o600)
        command = [
            *(
                ensure_wrk(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds:.0f}s",
                "--timeout",
                "30s",
            ),
            *("-s", str(LUA), f"{base_url}/api/v1/orders", "--"),
            *(str(senders), f"{interval_ms:.3f}", tag),
        ]
        cpu_before, start = children_cpu_seconds() + time.process_time(), time.perf_counter()
        wrk = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        output, _ = await wrk.communicate()
        elapsed = time.perf_counter() - start
        cpu = children_cpu_seconds() + time.process_time() - cpu_before
    summary = _summary(output.decode())
    placed, open_by_symbol = await _read_back(pairs, tag)
    await _cross_the_rest(pairs[0], open_by_symbol, order_body)
    return placed, summary["socket_errors"] + summary["non_2xx"], elapsed, cpu


def _senders(pairs: list[tuple[Trader, Trader]], symbols: list[str]) -> list[str]:
    """A sell and the buy that crosses it, for each pair; pair i trades symbol i (mod n),
    as bench-e2e's own client does."""
    lines = []
    for i, (seller, buyer) in enumerate(pairs):
        symbol = symbols[i % len(symbols)]
        lines += [f"sell {seller.token} {symbol}\n", f"buy {buyer.token} {symbol}\n"]
    return lines


def _summary(output: str) -> dict[str, Any]:
    """The JSON line the script's done() writes."""
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            summary: dict[str, Any] = json.loads(line)
            return summary
    raise SystemExit(f"bench: wrk printed no summary:\n{output}")


async def _read_back(
    pairs: list[tuple[Trader, Trader]], tag: str
) -> tuple[list[Placed], Counter[str]]:
    """The run's orders of every user, with the send time their client_order_id holds;
    and per symbol, sells minus buys."""
    traders = [trader for pair in pairs for trader in pair]
    pages = await asyncio.gather(*(all_pages(t, "/api/v1/orders", status="all") for t in traders))
    placed, unmatched = [], Counter[str]()
    for trader, orders in zip(traders, pages, strict=True):
        for order in orders:
            cid = order.get("client_order_id") or ""
            if cid.startswith(f"{tag}-"):
                sent_us = int(cid.rsplit("-", 1)[1])
                placed.append((trader, order["id"], datetime.fromtimestamp(sent_us / 1e6, UTC)))
                unmatched[order["symbol"]] += 1 if order["side"] == "sell" else -1
    return placed, unmatched


async def _cross_the_rest(
    pair: tuple[Trader, Trader], unmatched: Counter[str], order_body: OrderBody
) -> None:
    """Each wrk thread may end with one sell or one buy more: the counterparties that
    fill them (sent now, not counted)."""
    seller, buyer = pair
    for symbol, surplus in unmatched.items():
        trader, side = (buyer, "buy") if surplus > 0 else (seller, "sell")
        for _ in range(abs(surplus)):
            response = await trader.post("/api/v1/orders", order_body(symbol, side))
            assert response.status_code == 202, response.text
