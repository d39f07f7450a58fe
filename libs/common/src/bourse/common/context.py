"""Per-request / per-message context: the correlation id that follows a flow from HTTP
into messages and back, and the id of the message being handled (the next causation)."""

from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)
