from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from desk.passwords import WeakPassword, check_strength, hash_password, verify_password


def test_a_right_password_verifies_and_a_wrong_one_does_not() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert verify_password(stored, "correct horse battery").ok
    assert verify_password(stored, "correct horse batterY").ok is False
    assert verify_password("not a hash", "correct horse battery").ok is False


def test_a_hash_with_weaker_parameters_is_replaced_on_login() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("correct horse battery")
    verified = verify_password(weak, "correct horse battery")
    assert verified.ok and verified.rehashed is not None
    assert verify_password(verified.rehashed, "correct horse battery").rehashed is None
    # A wrong password is no reason to rehash.
    assert verify_password(weak, "wrong horse battery").rehashed is None


@pytest.mark.parametrize("password, message", [("", "empty"), ("short pwd", "at least 10")])
def test_empty_and_short_passwords_are_refused(password: str, message: str) -> None:
    with pytest.raises(WeakPassword, match=message):
        check_strength(password)
    check_strength("ten chars!")
