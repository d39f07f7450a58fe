"""order-service."""
