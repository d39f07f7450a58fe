"""Use cases of user-service, each in one transaction; reading a user outside any."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.auth.signing import issue_access_token
from bourse.common.db import Database
from bourse.common.errors import Problem, conflict, not_found
from bourse.contracts.events import UserRegistered
from bourse.contracts.ids import uuid7
from bourse.messaging.outbox import stage
from bourse.user.config import Settings
from bourse.user.db import refresh_families, refresh_tokens, users
from bourse.user.domain.passwords import hash_password, verify_password
from bourse.user.domain.refresh import new_refresh_token, token_hash
from bourse.user.keys import KeyRing
from bourse.user.throttle import AttemptThrottle


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def invalid_credentials() -> Problem:
    return Problem(
        401,
        "invalid_credentials",
        "email or password is wrong",
        headers={"WWW-Authenticate": "Bearer"},
    )


def invalid_refresh(detail: str) -> Problem:
    return Problem(401, "invalid_refresh_token", detail)


LOGIN = "login"  # the throttle scope of password logins, keyed by normalized email


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def register(
    db: Database, settings: Settings, email: str, password: str, name: str | None
) -> Any:
    email = normalize_email(email)
    password_hash = await hash_password(password)
    roles = ["admin"] if email in settings.admins else []

    async def work(session: AsyncSession) -> Any:
        user_id = uuid7()
        row = (
            await session.execute(
                insert(users)
                .values(
                    id=user_id, email=email, name=name, password_hash=password_hash, roles=roles
                )
                .returning(users)
            )
        ).one()
        await stage(session, UserRegistered(user_id=user_id, email=email, name=name))
        return row

    try:
        return await db.run(work)
    except IntegrityError as exc:
        raise conflict("email_taken", "an account with this email already exists") from exc


async def login(
    db: Database, settings: Settings, keys: KeyRing, email: str, password: str
) -> TokenPair:
    """Throttled per email before the (costly) password check, known email or not, so a
    429 tells nothing an attacker could not learn from a 401."""
    email = normalize_email(email)
    throttle = AttemptThrottle(LOGIN, settings.login_throttle)
    async with db.transaction() as session:
        await throttle.admit(session, email, datetime.now(UTC))
        user = (await session.execute(select(users).where(users.c.email == email))).one_or_none()
    valid, new_hash = await verify_password(password, user.password_hash if user else None)
    if not valid or user is None:
        raise invalid_credentials()
    async with db.transaction() as session:
        await throttle.forget(session, email)
        if new_hash is not None:
            await session.execute(
                update(users).where(users.c.id == user.id).values(password_hash=new_hash)
            )
        family_id = await _start_family(session, user.id)
        return await _issue(session, settings, keys, user.id, user.roles, family_id=family_id)


async def refresh(db: Database, settings: Settings, keys: KeyRing, token: str) -> TokenPair:
    """Rotate: the presented token is spent and a child issued in one transaction that
    holds the family's row lock, so rotations and revocations of one session run one at
    a time. A token presented again once spent means it leaked: the whole family is
    revoked. The spender had committed before the lock was granted, so the revocation
    (a later statement, hence a later snapshot) covers the child it issued too."""
    async with db.transaction() as session:
        outcome = await _rotate(session, settings, keys, token, datetime.now(UTC))
    if isinstance(outcome, Problem):  # raised only now: a revocation must commit first
        raise outcome
    return outcome


async def _rotate(
    session: AsyncSession, settings: Settings, keys: KeyRing, token: str, now: datetime
) -> TokenPair | Problem:
    by_hash = refresh_tokens.c.token_hash == token_hash(token)
    family_id = await session.scalar(select(refresh_tokens.c.family_id).where(by_hash))
    if family_id is None:
        return invalid_refresh("unknown refresh token")
    family = await _lock_family(session, family_id)
    row = (await session.execute(select(refresh_tokens).where(by_hash))).one()
    if row.used_at is not None:
        await _revoke_family(session, family_id, now)
        return Problem(
            401,
            "refresh_token_reused",
            "this refresh token was already used; its session is revoked",
        )
    if family.revoked_at is not None or row.revoked_at is not None:
        return invalid_refresh("refresh token revoked")
    if row.expires_at <= now:
        return invalid_refresh("refresh token expired")
    await session.execute(update(refresh_tokens).where(by_hash).values(used_at=now))
    roles = (
        await session.execute(select(users.c.roles).where(users.c.id == family.user_id))
    ).scalar_one()
    return await _issue(session, settings, keys, family.user_id, roles, family_id=family_id)


async def logout(db: Database, token: str) -> None:
    async with db.transaction() as session:
        family_id = await session.scalar(
            select(refresh_tokens.c.family_id).where(
                refresh_tokens.c.token_hash == token_hash(token)
            )
        )
        if family_id is not None:
            await _revoke_family(session, family_id, datetime.now(UTC))


async def get_user(db: Database, user_id: uuid.UUID) -> SimpleNamespace:
    """The user as ``GET /users/me`` shows it, in one statement outside a transaction."""
    row = await db.fetchrow(_SHOWN, user_id)
    if row is None:
        raise not_found("user")
    return SimpleNamespace(**row)


# What the answer shows of a user (bourse.user.api.schemas.User): never the password hash.
_SHOWN = "SELECT id, email, name, created_at FROM users WHERE id = $1"


async def _start_family(session: AsyncSession, user_id: uuid.UUID) -> uuid.UUID:
    family_id = uuid7()
    await session.execute(insert(refresh_families).values(id=family_id, user_id=user_id))
    return family_id


async def _lock_family(session: AsyncSession, family_id: uuid.UUID) -> Any:
    query = select(refresh_families).where(refresh_families.c.id == family_id).with_for_update()
    return (await session.execute(query)).one()


async def _issue(
    session: AsyncSession,
    settings: Settings,
    keys: KeyRing,
    user_id: uuid.UUID,
    roles: list[str],
    *,
    family_id: uuid.UUID,
) -> TokenPair:
    token = new_refresh_token()
    await session.execute(
        insert(refresh_tokens).values(
            id=uuid7(),
            family_id=family_id,
            user_id=user_id,
            token_hash=token_hash(token),
            expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    access = issue_access_token(
        keys.current,
        subject=str(user_id),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
        roles=list(roles),
    )
    return TokenPair(access, token, settings.access_token_ttl_seconds)


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    """Revoke the family row first: that UPDATE takes (or already holds) the family lock,
    so a rotation in flight commits before the tokens below are read, child included."""
    await session.execute(
        update(refresh_families)
        .where(refresh_families.c.id == family_id, refresh_families.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
