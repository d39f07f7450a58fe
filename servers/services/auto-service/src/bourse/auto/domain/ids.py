"""Deterministic client_order_ids: the same run (or alert) always asks for the same
order, so a retry or a duplicate message never places a second one (order-service keeps
client_order_id unique per user)."""

import uuid
from datetime import UTC, datetime

RUN_PREFIX = "auto-"
ALERT_PREFIX = "alert-"


def run_client_order_id(recurring_order_id: uuid.UUID, slot: datetime) -> str:
    """``auto-`` + 32 hex digits of uuid5(recurring order id, the slot in UTC)."""
    name = slot.astimezone(UTC).isoformat()
    return RUN_PREFIX + uuid.uuid5(recurring_order_id, name).hex


def alert_client_order_id(alert_id: uuid.UUID) -> str:
    """``alert-`` + the alert id's 32 hex digits: an alert fires once, so one order."""
    return ALERT_PREFIX + alert_id.hex
