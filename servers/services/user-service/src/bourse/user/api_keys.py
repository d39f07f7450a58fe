"""Use cases of API keys (API.md, Identity), each in one transaction: create (the secret
is returned once and only its hash stored), list, revoke, and the check that every
service asks for (``POST /internal/api-keys/verify``, cached there a few seconds)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auth.api_keys import KeyLookup, KeyOutcome, KeyRefusal, key_principal
from bourse.common.db import Database
from bourse.common.errors import Problem, conflict, not_found
from bourse.common.pagination import Page, cursor_id, page_of
from bourse.contracts.ids import uuid7
from bourse.user.config import Settings
from bourse.user.db import api_keys, users
from bourse.user.domain.api_keys import (
    MAX_ACTIVE_KEYS,
    new_key_id,
    new_secret,
    normalized_scopes,
    secret_hash,
    secret_matches,
)
from bourse.user.throttle import AttemptThrottle

# Throttle scopes of failed key checks: per key id (as logins per email: a success
# forgives), and per client address trying unknown key ids (never forgiven by a success,
# bourse.user.throttle).
API_KEY = "api_key"
API_KEY_CLIENT = "api_key_client"
_SHOWN = (api_keys.c.id, api_keys.c.key_id, api_keys.c.name, api_keys.c.scopes)


def invalid_api_key() -> Problem:
    return Problem(
        401,
        "invalid_api_key",
        "unknown, revoked or wrong API key",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def create_key(
    db: Database, user_id: uuid.UUID, name: str, scopes: list[str]
) -> tuple[Any, str]:
    """The new key's row and its secret (the only time the secret exists in clear)."""
    secret = new_secret()
    async with db.transaction() as session:
        # The user's row lock serializes their creations: the limit holds under races.
        owner = select(users.c.id).where(users.c.id == user_id).with_for_update()
        if await session.scalar(owner) is None:
            raise not_found("user")
        active = await session.scalar(
            select(func.count()).where(
                api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None)
            )
        )
        if (active or 0) >= MAX_ACTIVE_KEYS:
            raise conflict("too_many_api_keys", f"at most {MAX_ACTIVE_KEYS} active API keys")
        values = {
            "id": uuid7(),
            "user_id": user_id,
            "key_id": new_key_id(),
            "secret_hash": secret_hash(secret),
            "name": name,
            "scopes": normalized_scopes(scopes),
        }
        row = (
            await session.execute(
                insert(api_keys).values(values).returning(*_SHOWN, api_keys.c.created_at)
            )
        ).one()
    return row, secret


async def list_keys(db: Database, user_id: uuid.UUID, limit: int, after: str | None) -> Page[Any]:
    """The user's active keys, newest first."""
    query = select(*_SHOWN, api_keys.c.created_at).where(
        api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None)
    )
    if after is not None:
        query = query.where(api_keys.c.id < cursor_id(after))
    async with db.reading() as session:
        rows = (await session.execute(query.order_by(api_keys.c.id.desc()).limit(limit + 1))).all()
    return page_of(rows, limit)


async def revoke_key(db: Database, user_id: uuid.UUID, key: uuid.UUID) -> None:
    """Revoke the user's key (another user's, or one already revoked, is a 404)."""
    async with db.transaction() as session:
        revoked = await session.scalar(
            update(api_keys)
            .where(
                api_keys.c.id == key,
                api_keys.c.user_id == user_id,
                api_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=func.now())
            .returning(api_keys.c.id)
        )
    if revoked is None:
        raise not_found("API key")


async def verify_key(
    db: Database, settings: Settings, key_id: str, secret: str, client: str | None
) -> Any:
    """Who the key belongs to (user_id, roles, key_id, scopes); 401 ``invalid_api_key``, or
    429 ``too_many_attempts`` after too many failures.

    Failures are counted per key id as logins' per email (a locked key id refuses even
    the right secret; a success forgives), and per client address when the key id is
    unknown (an address trying many key ids; a success does not forgive that). Unlike a
    login's, a failure is recorded after the check, not before: the check is a hash
    compare in this same transaction, not a slow argon2 run that concurrent guesses could
    overtake, and a valid key then costs no write but a no-op delete.

    A revoked key is refused without counting anything: its owner's bot may keep
    presenting it from every process for a while, and that must not lock the bot's address
    nor turn its refusal into a 429 (an open socket closes only on a definite 401)."""
    now = datetime.now(UTC)
    by_key = AttemptThrottle(API_KEY, settings.login_throttle)
    by_client = AttemptThrottle(API_KEY_CLIENT, settings.login_throttle)
    async with db.transaction() as session:
        found = await _key(session, key_id)
        if found is not None and found.revoked_at is not None:
            raise invalid_api_key()
        if found is None and client:
            await by_client.refuse_if_locked(session, client, now)
        await by_key.refuse_if_locked(session, key_id, now)
        if found is not None and secret_matches(secret, found.secret_hash):
            await by_key.forget(session, key_id)
            return found
        await by_key.record_failure(session, key_id, now)
        if found is None and client:
            await by_client.record_failure(session, client, now)
    raise invalid_api_key()  # after the commit: the failures stay counted


async def _key(session: AsyncSession, key_id: str) -> Any:
    query = select(
        api_keys.c.user_id,
        api_keys.c.key_id,
        api_keys.c.scopes,
        api_keys.c.secret_hash,
        api_keys.c.revoked_at,
        users.c.roles,
    ).join(users, users.c.id == api_keys.c.user_id)
    return (await session.execute(query.where(api_keys.c.key_id == key_id))).one_or_none()


def in_process_lookup(db: Database, settings: Settings) -> KeyLookup:
    """How user-service checks the keys presented to its own routes: :func:`verify_key`
    in-process (no HTTP call to itself), cached by the KeyVerifier as everywhere else."""

    async def lookup(key_id: str, secret: str, client: str | None) -> KeyOutcome:
        try:
            row = await verify_key(db, settings, key_id, secret, client)
        except Problem as refused:
            return KeyRefusal.of(refused)
        return key_principal(row.user_id, row.roles, row.scopes, row.key_id)

    return lookup
