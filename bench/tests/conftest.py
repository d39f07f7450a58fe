"""The benchmarks' own tests: their command lines, workloads, peer adapters and the
profile's attribution. Figures are never asserted: speed is measured by running the
benchmarks, not by tests; nothing here needs the running stack."""
