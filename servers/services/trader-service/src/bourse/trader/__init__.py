"""trader-service: the trading account. Keeps the cash ledger and share holdings
(available / held), reserves cash or shares before an order trades (pre-trade risk),
settles fills against those reservations and releases what an ended order no longer needs."""
