"""user-service tables."""

from sqlalchemy import (
    ARRAY,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Uuid,
    func,
)

from bourse.common.db import new_metadata

metadata = new_metadata()

users = Table(
    "users",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-cased
    Column("name", String(200)),
    Column("password_hash", Text, nullable=False),
    Column("roles", ARRAY(String(50)), nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row per login session. Every rotation or revocation of the session's refresh tokens
# locks this row first, so they serialize per family (handlers.refresh).
refresh_families = Table(
    "refresh_families",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("family_id", Uuid(), ForeignKey("refresh_families.id"), nullable=False),
    Column("user_id", Uuid(), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),  # sha256, never the token
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_refresh_tokens_family_id", "family_id"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("retired_at", DateTime(timezone=True)),
)

# Recent failed attempts per subject (bourse.user.throttle): "login" + a normalized email,
# later "api_key" + a key id. A row exists only while its subject has unforgiven failures.
failed_attempts = Table(
    "failed_attempts",
    metadata,
    Column("scope", String(32), primary_key=True),
    Column("subject", Text, primary_key=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("last_failure_at", DateTime(timezone=True)),
    Column("locked_until", DateTime(timezone=True)),
    Index("ix_failed_attempts_last_failure_at", "last_failure_at"),
)

# API keys for bots (bourse.user.api_keys). The secret is never stored: only its SHA-256
# (a high-entropy random secret needs no slow hash; see bourse.user.domain.api_keys).
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id"), nullable=False),
    Column("key_id", String(64), nullable=False, unique=True),
    Column("secret_hash", LargeBinary(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("scopes", ARRAY(String(16)), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_api_keys_user_id_id", "user_id", "id"),
)
