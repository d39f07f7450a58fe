"""portfolio-service: the read side of a user's wealth. Positions (quantity, cost basis,
realized P&L) built from fills and securities deposits, cash from the trading account's
events, last prices of every symbol; market value, unrealized P&L and equity from them;
equity sampled over time; and a live WebSocket feed of it all (``/ws/portfolio``)."""
