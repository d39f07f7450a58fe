"""The shard's Prometheus metrics (served on /metrics by bourse.common.app)."""

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter(
    "bourse_exchange_commands_total",
    "Exchange commands by outcome (applied, duplicate, poison, misrouted)",
    ["shard", "outcome"],
)
BATCH_SIZE = Histogram(
    "bourse_exchange_batch_size",
    "Commands journaled per batch (one fsync each)",
    ["shard"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
FSYNC_SECONDS = Histogram(
    "bourse_exchange_journal_fsync_seconds",
    "Latency of the journal fsync of one batch",
    ["shard"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)
PUBLISH_SECONDS = Histogram(
    "bourse_exchange_publish_seconds",
    "Time to publish one batch's messages with confirms",
    ["shard"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
SNAPSHOTS = Counter("bourse_exchange_snapshots_total", "Snapshots written", ["shard"])
JOURNAL_SEQ = Gauge("bourse_exchange_journal_seq", "Last journal seq applied", ["shard"])
