"""Per-user webhooks: their configuration, the durable delivery queue (a table worked
with ``FOR UPDATE SKIP LOCKED`` by every instance), signed POSTs with httpx, retries with
exponential backoff and dead-lettering."""
