"""stock-service: market data. Owns the instruments (created, halted and resumed by
admins), the quotes and depth, the trades tape and OHLCV candles, fed by the exchange's
market events; publishes throttled prices and every instrument's state."""
