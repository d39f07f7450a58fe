"""Where an order's CPU goes: the e2e load of bench-e2e, with every service sampled.

    uv run python -m bourse.bench.profile_e2e --rate 20 --seconds 20

While crossing orders flow through nginx, py-spy samples each Python process of the
stack (only while it holds the GIL, without pausing it) and every sample is charged to
the layer its innermost frame belongs to: SQLAlchemy, asyncpg, the AMQP client, the HTTP
framework, pydantic, Bourse's own code, ... It prints, per service and in all, the share
of CPU samples by layer, and the Bourse functions whose database calls cost the most.
With pg_stat_statements loaded it also prints SQL statements per order per database.
Needs the stack (`make up`) and the right to trace its processes (root, or
ptrace_scope 0). Prints one JSON object.
"""

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bourse.bench.e2e import add_load_options, load, prepare, settle
from bourse.stack import BY_NAME, process_states
from bourse.testing.api import fresh_symbol
from bourse.testing.infra import PG_ADMIN_DSN

# (fragment of a frame's file path, layer); the first match wins
LAYERS = (
    ("/sqlalchemy/", "sqlalchemy"),
    ("/greenlet/", "sqlalchemy"),  # SQLAlchemy's bridge from async to its sync core
    ("/asyncpg/", "asyncpg"),
    ("/aio_pika/", "amqp"),
    ("/aiormq/", "amqp"),
    ("/pamqp/", "amqp"),
    ("/fastapi/", "http"),
    ("/starlette/", "http"),
    ("/uvicorn/", "http"),
    ("/pydantic", "pydantic"),
    ("/jwt/", "auth"),
    ("/cryptography/", "auth"),
    ("/prometheus_client/", "metrics"),
    ("/asyncio/", "event-loop"),
    ("/uvloop/", "event-loop"),
    ("/logging/", "logging"),
    ("/bourse/", "bourse"),
)
DB_LAYERS = ("sqlalchemy", "asyncpg")
NO_STATEMENTS = (
    "not counted: ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements' and"
    " restart PostgreSQL to count them"
)
NO_CALLER = "(no caller on the stack: inside SQLAlchemy's greenlet, or driver I/O)"
FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.*?)(?::\d+)?\)$")


def layer_of(frame: str) -> str:
    match = FRAME.match(frame)
    path = match["path"] if match else frame
    return next((layer for fragment, layer in LAYERS if fragment in path), "other")


def own_code(frame: str) -> str | None:
    """``function (module/file.py)`` for a frame of Bourse's own code, else None."""
    match = FRAME.match(frame)
    if not match or "site-packages" in match["path"] or "/bourse/" not in match["path"]:
        return None
    return f"{match['function']} ({'/'.join(Path(match['path']).parts[-2:])})"


def samples(path: Path) -> Iterator[tuple[list[str], int]]:
    """py-spy's raw output: one ``frame;frame;...;frame count`` line per distinct stack."""
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            yield stack.split(";"), int(count)


def analyse(path: Path) -> tuple[Counter[str], Counter[str]]:
    """(samples by layer of the innermost frame, database samples by the Bourse function
    that made the call)."""
    by_layer: Counter[str] = Counter()
    db_callers: Counter[str] = Counter()
    for frames, count in samples(path):
        by_layer[layer_of(frames[-1])] += count
        first_db = next((i for i, f in enumerate(frames) if layer_of(f) in DB_LAYERS), None)
        if first_db is not None:
            callers = filter(None, map(own_code, reversed(frames[:first_db])))
            db_callers[next(callers, NO_CALLER)] += count
    return by_layer, db_callers


def shares(counter: Counter[str], top: int | None = None) -> dict[str, float]:
    total = sum(counter.values()) or 1
    return {key: round(100 * n / total, 1) for key, n in counter.most_common(top)}


def python_services() -> dict[str, int]:
    """Process name -> pid of every running Python program of the stack."""
    return {
        name: int(info["pid"])
        for name, info in (process_states() or {}).items()
        if info.get("pid") and (name in BY_NAME or name.startswith("exchange"))
    }


def start_sampling(pids: dict[str, int], seconds: float, out: Path) -> list[Any]:
    return [
        subprocess.Popen(
            [
                "py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)),
                "--rate", "100", "--gil", "--nonblocking", "--full-filenames", "--format", "raw",
                "--output", str(out / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name, pid in pids.items()
    ]  # fmt: skip


async def statements_per_order(orders: int) -> dict[str, float] | str:
    """SQL statements per order in each service database (pg_stat_statements, reset
    before the load), or why they cannot be counted."""
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        loaded = await admin.fetchval("SHOW shared_preload_libraries")
        if "pg_stat_statements" not in loaded:
            return NO_STATEMENTS
        rows = await admin.fetch(
            "SELECT d.datname, sum(s.calls) AS calls FROM pg_stat_statements s"
            " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'bourse%'"
            " GROUP BY d.datname ORDER BY calls DESC"
        )
        return {r["datname"]: round(float(r["calls"]) / max(orders, 1), 1) for r in rows}
    finally:
        await admin.close()


async def reset_statements() -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        with contextlib.suppress(asyncpg.PostgresError):  # not loaded: nothing to count
            await admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await admin.execute("SELECT pg_stat_statements_reset()")
    finally:
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_load_options(parser, rate=20)
    parser.add_argument(
        "--keep", type=Path, help="keep py-spy's raw samples (<process>.txt) in this directory"
    )
    args = parser.parse_args()
    pids = python_services()
    if not pids:
        sys.exit("the stack is not running (make up)")
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30) as api:
        symbol = await fresh_symbol(api)
        pairs = await prepare(api, args.users, [symbol])
        await asyncio.sleep(3)  # the set-up's events settle first
        await reset_statements()
        with tempfile.TemporaryDirectory() as tmp:
            out = args.keep or Path(tmp)
            out.mkdir(parents=True, exist_ok=True)
            samplers = start_sampling(pids, args.seconds, out)
            placed, _, _ = await load(pairs, [symbol], args.rate, args.seconds, 256, 1)
            for sampler in samplers:
                _, err = await asyncio.to_thread(sampler.communicate)
                if sampler.returncode:
                    sys.exit(f"py-spy failed (root, or ptrace_scope 0, is needed): {err!r}")
            orders = await settle(placed, 120)
            results = {name: analyse(out / f"{name}.txt") for name in pids}
    report = summary(results)
    report["orders"] = len(placed)
    report["filled"] = sum(o["status"] == "filled" for o in orders)
    report["sql_statements_per_order"] = await statements_per_order(len(placed))
    print(json.dumps(report, indent=1))


def summary(results: dict[str, tuple[Counter[str], Counter[str]]]) -> dict[str, Any]:
    layers_all: Counter[str] = Counter()
    callers_all: Counter[str] = Counter()
    per_service = {}
    for name, (by_layer, callers) in sorted(results.items()):
        layers_all += by_layer
        callers_all += callers
        per_service[name] = {"samples": sum(by_layer.values()), "layers_pct": shares(by_layer)}
    return {
        "layers_pct_all_services": shares(layers_all),
        "db_time_by_caller_pct": shares(callers_all, top=15),
        "services": per_service,
    }


if __name__ == "__main__":
    asyncio.run(main())
