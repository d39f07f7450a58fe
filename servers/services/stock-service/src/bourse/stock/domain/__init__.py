"""The market-data model: plain Python, no I/O."""
