"""Passwords: stored as argon2id hashes only (argon2-cffi with its recommended parameters), and new
ones refused when easy to guess (zxcvbn).

Hashes made by an earlier version (werkzeug's scrypt/pbkdf2) still verify, and are replaced by an
argon2 hash at the next successful login."""
from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

_hasher = PasswordHasher()
# zxcvbn's score from 0 to 4; 3 is "safely unguessable" (about 10^8 guesses or more), its advice for
# a password that guards an account.
MIN_SCORE = 3
WEAKNESSES = {
    "weak_password": "the password is too easy to guess (a common password, a word, a name, a keyboard "
                     "pattern, a date or a repeat): choose a longer one, such as a few unrelated words",
    "personal_password": "the password is built from the login or the name: choose one that has nothing "
                         "to do with them",
}


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


def weakness(password: str, *, login: str, name: str) -> str | None:
    """Why a new password is refused (a key of WEAKNESSES), or None when it is hard enough to guess.

    "Built from the login or the name" is what is left weak once they are taken out ("Boris.Lebedev1",
    "anna2026"): zxcvbn alone scores a name joined by a separator as strong."""
    from zxcvbn import zxcvbn  # its word lists load when a password is set, not with every command

    own = [word for word in (login, *name.split()) if word]
    checked = password[:72]  # zxcvbn takes at most 72 characters; a password that long is not weak here
    rest = checked.lower()
    for word in sorted((w.lower() for w in own if len(w) >= 3), key=len, reverse=True):
        rest = rest.replace(word, "")
    if rest != checked.lower() and (not rest or zxcvbn(rest)["score"] < MIN_SCORE):
        return "personal_password"
    if zxcvbn(checked, user_inputs=own)["score"] < MIN_SCORE:
        return "weak_password"
    return None


def needs_rehash(stored: str) -> bool:
    """True for an older kind of hash or weaker argon2 parameters than today's."""
    return not stored.startswith("$argon2") or _hasher.check_needs_rehash(stored)
