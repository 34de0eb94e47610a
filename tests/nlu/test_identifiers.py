import pytest

from nlu.identifiers import (
    contains_sensitive_number,
    is_bank_card,
    is_foreign_national_id,
    is_valid_national_id,
    luhn_ok,
    mask,
    normalize_phone,
)


@pytest.mark.parametrize("value", ["0016383230", "1283564807", "0926064541"])
def test_valid_national_ids(value):
    assert is_valid_national_id(value)


@pytest.mark.parametrize("value", ["0016383231", "1111111111", "123456789", "12345678901", "abcdefghij", ""])
def test_invalid_national_ids(value):
    assert not is_valid_national_id(value)


def test_foreign_identifier_is_twelve_digits():
    assert is_foreign_national_id("104812763590")
    assert not is_foreign_national_id("000000000000")
    assert not is_foreign_national_id("10481276359")


@pytest.mark.parametrize(
    "raw, phone",
    [
        ("09121234567", "09121234567"),
        ("+989121234567", "09121234567"),
        ("00989121234567", "09121234567"),
        ("9121234567", "09121234567"),
    ],
)
def test_phone_forms(raw, phone):
    assert normalize_phone(raw) == phone


@pytest.mark.parametrize("raw", ["0912123456", "08121234567", "+441234567890", ""])
def test_not_phones(raw):
    assert normalize_phone(raw) is None


def test_bank_cards_and_sheba_are_sensitive():
    card = "6037990000000006"
    assert luhn_ok(card) and is_bank_card(card)
    assert contains_sensitive_number(f"کارتم {card} هست")
    assert contains_sensitive_number("کارت 6037 9900 0000 0006")
    assert contains_sensitive_number("شبا ir820540102680020817909002")
    assert not contains_sensitive_number("کد 7140508213457")
    assert not is_bank_card("6037990000000007")


def test_mask_keeps_only_two_digits():
    assert mask("0016383230") == "********30"
    assert "0016383" not in mask("0016383230")
