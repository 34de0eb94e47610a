"""Staff passwords, hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory choice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    pass


@dataclass(frozen=True)
class Verified:
    ok: bool
    # A new hash to store when the old one was made with weaker parameters than today's.
    rehashed: Optional[str] = None


def check_strength(password: str) -> None:
    """WeakPassword (with a message for the person typing it) when it is empty or short."""
    if not password:
        raise WeakPassword("the password is empty")
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password is too short: at least {MIN_LENGTH} characters")


def hash_password(password: str, hasher: PasswordHasher = _hasher) -> str:
    return hasher.hash(password)


def verify_password(stored_hash: str, password: str, hasher: PasswordHasher = _hasher) -> Verified:
    try:
        hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Verified(False)
    if hasher.check_needs_rehash(stored_hash):
        return Verified(True, hasher.hash(password))
    return Verified(True)
