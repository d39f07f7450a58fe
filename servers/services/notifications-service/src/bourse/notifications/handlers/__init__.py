"""Use cases: ``http`` for requests, ``events`` for consumed batches."""
