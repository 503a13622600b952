"""Tracking numbers: unique, readable, and every single typo or neighbour swap is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake import tracking

AMBIGUOUS = set("0O1IL")


def test_a_million_numbers_never_collide_and_avoid_ambiguous_characters():
    seen = set()
    for sequence in range(1, 1_000_001):
        number = tracking.number_for(sequence)
        seen.add(number)
    assert len(seen) == 1_000_000
    assert not AMBIGUOUS & set("".join(list(seen)[:1000]))


def test_alphabet_leaves_out_ambiguous_characters_and_is_prime_sized():
    assert not AMBIGUOUS & set(tracking.ALPHABET)
    assert len(tracking.ALPHABET) == 31 and len(set(tracking.ALPHABET)) == 31


@given(st.integers(min_value=1, max_value=tracking.CAPACITY - 1))
def test_every_single_character_typo_is_detected(sequence: int):
    number = tracking.number_for(sequence)
    compact = number.replace("-", "")
    assert tracking.parse(number) == number
    for position in range(len(compact)):
        for replacement in tracking.ALPHABET:
            if replacement == compact[position]:
                continue
            typo = compact[:position] + replacement + compact[position + 1:]
            assert not tracking.is_valid(typo), (number, typo)


@given(st.integers(min_value=1, max_value=tracking.CAPACITY - 1))
def test_every_adjacent_swap_is_detected(sequence: int):
    compact = tracking.number_for(sequence).replace("-", "")
    for i in range(len(compact) - 1):
        if compact[i] == compact[i + 1]:
            continue
        swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2:]
        assert not tracking.is_valid(swapped), (compact, swapped)


def test_exhaustive_typos_over_many_numbers():
    """Not only sampled: all 240 typos and 7 swaps of 2,000 consecutive numbers."""
    for sequence in range(1, 2001):
        compact = tracking.number_for(sequence).replace("-", "")
        for position in range(8):
            for replacement in tracking.ALPHABET:
                if replacement != compact[position]:
                    assert not tracking.is_valid(compact[:position] + replacement + compact[position + 1:])


@pytest.mark.parametrize("typed", ["kyvz-6638", " KYVZ 6638 ", "kyvz6638", "KYVZ.6638"],
                         ids=["lower", "spaces", "compact", "dot"])
def test_case_and_separators_do_not_matter(typed: str):
    assert tracking.parse(typed) == "KYVZ-6638" == tracking.number_for(1)


@pytest.mark.parametrize(("typed", "says"), [
    ("KYVZ-663", "8 characters"),
    ("KYVZ-66380", "8 characters"),
    ("KYVZ-66O8", "never contain 'O'"),
    ("KYVZ-6639", "typo"),
    ("x" * 100, "8 characters"),
], ids=["short", "long", "letter-o", "check", "huge"])
def test_bad_numbers_say_what_is_wrong(typed: str, says: str):
    with pytest.raises(tracking.InvalidTrackingNumber, match=says):
        tracking.parse(typed)


def test_secrets_are_long_random_and_hashed_case_insensitively():
    secrets = {tracking.new_secret() for _ in range(1000)}
    assert len(secrets) == 1000
    secret = secrets.pop()
    assert len(secret.replace("-", "")) == 16
    assert tracking.secret_matches(secret.lower().replace("-", " "), tracking.hash_secret(secret))
    assert not tracking.secret_matches(tracking.new_secret(), tracking.hash_secret(secret))
