"""Use cases: ``http`` for requests, ``events`` for consumed batches, ``orders`` for
what both do to an order."""
