"""The benchmark's command line keeps its promised output (figures are not asserted: speed
is measured by running the benchmark, not by tests)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bourse.bench.engine.workloads import CANCEL, IOC, LIMIT, MID, REPLACE, generate

KEYS = {
    "engine",
    "workload",
    "ops",
    "ops_per_s",
    "p50_ns",
    "p99_ns",
    "p999_ns",
    "bytes_per_order",
    "rss_bytes_per_order",
}


@pytest.mark.parametrize("workload", ["a", "b"])
def test_bench_prints_one_json_object_per_engine(workload: str) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bourse.bench.engine",
            "--workload",
            workload,
            "--ops",
            "3000",
            "--json",
            "--no-peers",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    (result,) = [json.loads(line) for line in out.splitlines()]
    assert result.keys() >= KEYS
    assert result["engine"] == "bourse.matching"
    assert result["workload"] == workload
    assert result["ops"] == 3000
    assert result["ops_per_s"] > 0
    assert 0 < result["p50_ns"] <= result["p99_ns"] <= result["p999_ns"]


def test_workload_a_has_the_published_mix_and_keeps_its_depth() -> None:
    work = generate("a", 20_000, seed=7)
    assert len(work.prefill) == 10_000
    counts = {code: sum(op[0] == code for op in work.ops) for code in (LIMIT, IOC, CANCEL)}
    assert counts[LIMIT] / 20_000 == pytest.approx(0.60, abs=0.02)
    assert counts[IOC] / 20_000 == pytest.approx(0.15, abs=0.02)
    assert counts[CANCEL] / 20_000 == pytest.approx(0.25, abs=0.02)
    passive = [op for op in work.ops if op[0] == LIMIT]
    assert all(1 <= abs(op[3] - MID) <= 50 and 1 <= op[4] <= 100 for op in passive)
    assert all(abs(op[3] - MID) == 11 for op in work.ops if op[0] == IOC)


def test_workload_generation_is_seeded() -> None:
    assert generate("b", 2_000, seed=3).ops == generate("b", 2_000, seed=3).ops
    assert generate("b", 2_000, seed=3).ops != generate("b", 2_000, seed=4).ops
    moves = sum(op[0] == REPLACE for op in generate("b", 10_000).ops) / 10_000
    assert moves == pytest.approx(0.82, abs=0.02)
