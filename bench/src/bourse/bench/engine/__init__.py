"""The matching engine's benchmark: ``python -m bourse.bench.engine`` (make bench, bench-b)."""
