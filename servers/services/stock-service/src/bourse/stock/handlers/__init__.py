"""Use cases: ``http`` for requests (admin), ``events`` for consumed batches."""
