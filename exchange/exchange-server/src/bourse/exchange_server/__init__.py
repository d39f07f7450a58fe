"""exchange-server: the daemon around the matching engine for one symbol shard.

It consumes the shard's command queue (one active consumer), journals every command
(fsync once per batch) before the engine sees it, and publishes execution reports and
market data with deterministic message ids. On start it rebuilds the books from the newest
snapshot plus the journal after it, and re-publishes what may not have been published.
"""
