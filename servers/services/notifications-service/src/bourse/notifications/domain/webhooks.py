"""Webhook rules: the signature a receiver verifies, the retry schedule, and which URLs
may be called."""

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Bourse-Signature"
TIMESTAMP_HEADER = "X-Bourse-Timestamp"
DELIVERY_HEADER = "X-Bourse-Delivery"
EVENT_HEADER = "X-Bourse-Event"
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


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


class InvalidWebhookUrlError(ValueError):
    pass


def check_url(url: str, allow_private: bool) -> str:
    """An absolute http(s) URL without credentials; a literal private, loopback or
    link-local address (or localhost) only when ``allow_private``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrlError(f"not a valid URL: {exc}") from exc
    del port  # parsed for validation only
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookUrlError("the URL must be absolute http:// or https://")
    if parts.username or parts.password:
        raise InvalidWebhookUrlError("the URL must not carry credentials")
    if not allow_private and is_private_host(parts.hostname):
        raise InvalidWebhookUrlError("the URL must not point to a private or local address")
    return url


def is_private_host(host: str) -> bool:
    """A name or address that is not on the public internet (as far as the text says)."""
    if host.lower().rstrip(".") in LOCAL_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return is_private_address(address)


def is_private_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not address.is_global or address.is_multicast
