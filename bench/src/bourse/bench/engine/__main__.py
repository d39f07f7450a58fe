"""``python -m bourse.bench.engine --workload a --ops N [--json]``

Generates the seeded workload once, then measures our engine and every peer engine that
is installed (``uv sync --group bench-peers``), each in a forked child process so that no
engine runs on a heap another one left behind. Prints a table, or one JSON object per
engine with ``--json``.
"""

import argparse
import json
import multiprocessing
import sys
from typing import Any

from bourse.bench.engine.measure import Factory, measure
from bourse.bench.engine.ours import OursAdapter
from bourse.bench.engine.workloads import WORKLOADS, Workload, generate

_workload: Workload | None = None  # set before forking: children inherit it for free


def _factories(with_peers: bool) -> list[Factory]:
    factories: list[Factory] = [OursAdapter]
    if with_peers:
        from bourse.bench.engine.peers import available_peers  # noqa: PLC0415

        factories += available_peers()
    return factories


def _measure_in_child(factory: Factory) -> dict[str, Any]:
    assert _workload is not None
    try:
        return measure(factory, _workload)
    except Exception as exc:  # a peer that breaks is reported, not fatal
        return {"engine": getattr(factory, "__name__", str(factory)), "error": repr(exc)}


def run(workload: str, ops: int, seed: int, with_peers: bool) -> list[dict[str, Any]]:
    global _workload  # noqa: PLW0603
    _workload = generate(workload, ops, seed)
    context = multiprocessing.get_context("fork")
    results = []
    for factory in _factories(with_peers):
        with context.Pool(1) as pool:
            results.append(pool.apply(_measure_in_child, (factory,)))
    return results


def _table(results: list[dict[str, Any]]) -> str:
    cols = [
        "engine",
        "workload",
        "ops",
        "ops_per_s",
        "p50_ns",
        "p99_ns",
        "p999_ns",
        "bytes_per_order",
    ]
    rows = [
        [str(r.get(c, r.get("error", "-") if c == "ops_per_s" else "-")) for c in cols]
        for r in results
    ]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bourse.bench.engine")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="a")
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", action="store_true", help="one JSON object per engine")
    parser.add_argument("--no-peers", action="store_true", help="measure only our engine")
    args = parser.parse_args(argv)
    results = run(args.workload, args.ops, args.seed, not args.no_peers)
    if args.json:
        for result in results:
            print(json.dumps(result))
    else:
        print(_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
