"""The model: what each event tells a user (title, body, data, dedupe key), and the rules
of webhooks (signatures, backoff, acceptable URLs). Plain Python, no I/O."""
