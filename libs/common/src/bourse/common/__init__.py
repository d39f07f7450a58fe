"""Shared service plumbing: settings, logging, problem+json errors, database, health,
metrics and the FastAPI app factory. No service logic lives here."""
