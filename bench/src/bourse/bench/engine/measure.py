"""Measure one engine on one workload: throughput, latency percentiles, memory per order.

Each figure comes from its own fresh, prefilled book, so the timers of the latency pass
never slow the throughput pass, and tracemalloc never touches either:

* throughput: the operations run back to back, one clock read before and after;
* latency: each operation timed alone with ``perf_counter_ns`` (the figure includes the
  ~50 ns cost of the clock read itself, reported as ``timer_ns``);
* memory: traced allocations of the prefilled book divided by its resting orders
  (``bytes_per_order``), and the growth of resident memory (``rss_bytes_per_order``),
  which also counts native allocations that tracemalloc cannot see.

The garbage collector stays on (as in production); the prefilled state is frozen out of
its scans with ``gc.freeze()`` for every engine alike.
"""

from __future__ import annotations

import gc
import os
import time
import tracemalloc
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from bourse.bench.engine.adapters import EngineAdapter
from bourse.bench.engine.workloads import CANCEL, IOC, LIMIT, Op, Workload
from bourse.bench.stats import nearest_rank

Call = tuple[Callable[..., Any], tuple[Any, ...]]
Factory = Callable[[], EngineAdapter]


def compile_calls(adapter: EngineAdapter, ops: Sequence[Op]) -> list[Call]:
    """Bind operations to callables; an adapter may provide a faster ``compile`` of its own."""
    own = getattr(adapter, "compile", None)
    if own is not None:
        return own(ops)  # type: ignore[no-any-return]
    orders: dict[int, Callable[..., Any]] = {LIMIT: adapter.limit, IOC: adapter.ioc}
    calls: list[Call] = []
    for code, oid, is_buy, price, qty in ops:
        if code == CANCEL:
            calls.append((adapter.cancel, (oid,)))
        elif code in orders:
            calls.append((orders[code], (oid, is_buy, price, qty)))
        else:
            calls.append((adapter.replace, (oid, price, qty)))
    return calls


def _prefilled(factory: Factory, workload: Workload) -> tuple[EngineAdapter, list[Call]]:
    adapter = factory()
    for fn, args in compile_calls(adapter, workload.prefill):
        fn(*args)
    calls = compile_calls(adapter, workload.ops)
    gc.collect()
    gc.freeze()
    return adapter, calls


def throughput(factory: Factory, workload: Workload) -> tuple[float, int]:
    """(ops per second, resting orders at the end)."""
    adapter, calls = _prefilled(factory, workload)
    clock = time.perf_counter
    start = clock()
    for fn, args in calls:
        fn(*args)
    elapsed = clock() - start
    gc.unfreeze()
    return len(calls) / elapsed, adapter.resting_count()


def latencies(factory: Factory, workload: Workload) -> array[int]:
    """Nanoseconds of each operation, in order."""
    _adapter, calls = _prefilled(factory, workload)
    clock = time.perf_counter_ns
    out = array("q", bytes(8 * len(calls)))
    for i, (fn, args) in enumerate(calls):
        start = clock()
        fn(*args)
        out[i] = clock() - start
    gc.unfreeze()
    return out


def bytes_per_order(factory: Factory, workload: Workload) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    adapter = _fill_fresh(factory, workload.prefill)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / max(adapter.resting_count(), 1)


def rss_bytes_per_order(factory: Factory, workload: Workload, books: int = 4) -> float:
    """Growth of resident memory per resting order: unlike tracemalloc, this also sees
    what engines written in C or C++ allocate outside Python's allocator.

    The first book may fill free space the heap already had (a forked child inherits the
    parent's), so only the growth for the books after it is counted; all stay alive.
    """
    page = os.sysconf("SC_PAGE_SIZE")
    alive = [_fill_fresh(factory, workload.prefill)]
    gc.collect()
    before = _resident_pages()
    alive += [_fill_fresh(factory, workload.prefill) for _ in range(books - 1)]
    gc.collect()
    orders = sum(adapter.resting_count() for adapter in alive[1:])
    return (_resident_pages() - before) * page / max(orders, 1)


def _fill_fresh(factory: Factory, ops: Sequence[Op]) -> EngineAdapter:
    """Feed ``ops`` one at a time with newly allocated ints, as orders off the wire would
    bring: the book then owns its ids and prices and pays for them, while each transient
    operation is freed before the next."""
    adapter = factory()
    for code, oid, is_buy, price, qty in ops:
        fresh = (code, oid + 1 - 1, is_buy, price + 1 - 1, qty + 1 - 1)
        for fn, args in compile_calls(adapter, [fresh]):
            fn(*args)
    return adapter


def _resident_pages() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1])


def timer_overhead_ns(samples: int = 100_000) -> int:
    clock = time.perf_counter_ns
    best = []
    for _ in range(samples):
        start = clock()
        best.append(clock() - start)
    best.sort()
    return best[len(best) // 2]


def measure(factory: Factory, workload: Workload) -> dict[str, Any]:
    rss_per_order = rss_bytes_per_order(factory, workload)  # first: before the heap has holes
    ops_per_s, resting = throughput(factory, workload)
    lat = sorted(latencies(factory, workload))
    name = factory().name
    return {
        "engine": name,
        "workload": workload.name,
        "ops": len(workload.ops),
        "ops_per_s": round(ops_per_s),
        "p50_ns": nearest_rank(lat, 0.50),
        "p99_ns": nearest_rank(lat, 0.99),
        "p999_ns": nearest_rank(lat, 0.999),
        "max_ns": lat[-1],
        "mean_ns": round(sum(lat) / len(lat)),
        "bytes_per_order": round(bytes_per_order(factory, workload), 1),
        "rss_bytes_per_order": round(rss_per_order, 1),
        "resting_after": resting,
        "timer_ns": timer_overhead_ns(),
    }
