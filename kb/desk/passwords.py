"""Passwords: stored as argon2id hashes only (argon2-cffi with its recommended parameters).

Hashes made by an earlier version (werkzeug's scrypt/pbkdf2) still verify, and are replaced by an
argon2 hash at the next successful login."""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    if not stored.startswith("$argon2"):
        return check_password_hash(stored, password)
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nobody(password: str) -> None:
    """Spend the time of a real check when there is no account to check against (an unknown or
    deactivated login), so the time of the answer does not tell which logins exist."""
    verify_password(_dummy_hash(), password)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


def needs_rehash(stored: str) -> bool:
    """True for an older kind of hash or weaker argon2 parameters than today's."""
    return not stored.startswith("$argon2") or _hasher.check_needs_rehash(stored)
