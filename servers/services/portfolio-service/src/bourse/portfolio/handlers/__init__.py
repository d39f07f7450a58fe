"""Use cases: ``events`` for consumed batches (the API only reads: see queries.py)."""
