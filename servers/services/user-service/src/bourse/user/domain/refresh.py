"""Refresh tokens: opaque random strings; only their SHA-256 is stored."""

import hashlib
import secrets


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
