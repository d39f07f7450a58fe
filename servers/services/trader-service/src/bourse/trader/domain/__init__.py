"""The trading account's rules, plain Python and Decimal: no I/O."""
