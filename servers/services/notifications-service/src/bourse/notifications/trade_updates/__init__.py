"""/ws/trade-updates (API.md, Orders): every change of a user's orders as Alpaca's
trade_updates, numbered per user (``seq`` 1, 2, 3 ...) and kept for ``?since=`` replays.

Its own work queue (``notifications.trade_updates``, a single active consumer: the seqs
follow the order in which order-service published), batch handler (:mod:`handlers`), SQL
(:mod:`store`), per-instance live fan-out (:mod:`hub`, woken by PostgreSQL NOTIFY through
the service's one LISTEN connection) and pruning (:mod:`pruner`)."""
