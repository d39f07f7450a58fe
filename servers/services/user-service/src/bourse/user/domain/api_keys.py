"""API keys, the pure rules: a public key id, a secret shown once, and how the secret is
stored.

The secret is 32 random bytes (``secrets.token_urlsafe``): 256 bits that nobody can guess
or try through, so it needs no slow, salted hash. A plain SHA-256 is the standard store
for such tokens (GitHub's and Stripe's API keys, our refresh tokens): a leaked table
gives nothing usable, and checking costs a microsecond. argon2 exists for low-entropy,
human-chosen passwords, and at tens of milliseconds per check it would make every key
check (once per 5 s per key per process) a CPU cost for no gain.
"""

import hashlib
import hmac
import secrets

KEY_ID_PREFIX = "bk_"
SCOPES = ("read", "trade")
MAX_ACTIVE_KEYS = 100  # per user


def new_key_id() -> str:
    return KEY_ID_PREFIX + secrets.token_hex(12)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def normalized_scopes(scopes: list[str]) -> list[str]:
    """Each scope once, in one order (what is stored and shown)."""
    return [scope for scope in SCOPES if scope in scopes]
