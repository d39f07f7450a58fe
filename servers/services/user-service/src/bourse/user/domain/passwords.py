"""Password hashing with argon2id (pwdlib). Hashing costs ~0.1 s of CPU on purpose, so it
runs in a worker thread, never on the event loop."""

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 10
_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the email is unknown, so timing does not reveal which emails exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-at-all")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(valid, new hash when the stored one should be upgraded)."""
    if password_hash is None:
        await asyncio.to_thread(_hasher.verify, password, _DUMMY_HASH)
        return False, None
    return await asyncio.to_thread(_hasher.verify_and_update, password, password_hash)
