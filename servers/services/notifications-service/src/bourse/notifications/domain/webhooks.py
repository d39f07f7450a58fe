"""Webhook rules: the signature a receiver verifies and the retry schedule (which URLs
may be called: :mod:`bourse.notifications.domain.webhook_urls`)."""

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Bourse-Signature"
TIMESTAMP_HEADER = "X-Bourse-Timestamp"
DELIVERY_HEADER = "X-Bourse-Delivery"
EVENT_HEADER = "X-Bourse-Event"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signed_material(timestamp: int, body: bytes) -> bytes:
    """What is signed: ``<unix seconds>.<raw body>``, so a captured request cannot be
    replayed later with a fresh timestamp."""
    return str(timestamp).encode() + b"." + body


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Bourse-Signature`` value: ``sha256=<hex HMAC-SHA256>``."""
    digest = hmac.new(secret.encode(), signed_material(timestamp, body), hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """What a receiver does (constant-time comparison); it should also refuse a
    timestamp far from its own clock."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next attempt after ``attempts`` failed ones: base, 2 base,
    4 base, ... never more than ``cap``."""
    return float(min(cap, base * 2 ** max(attempts - 1, 0)))


def is_dead(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts
