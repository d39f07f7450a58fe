"""Use cases: the HTTP API's (recurring orders, alerts), the scheduler's (placing due
runs) and the consumed events' (order outcomes, prices). Each runs in one transaction
and stages the events it causes in the outbox of that transaction."""
