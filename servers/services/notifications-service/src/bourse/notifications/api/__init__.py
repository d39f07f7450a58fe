"""HTTP and WebSocket entry points (thin: parse, authorize, call a handler, shape)."""
