"""Normalising citizen input: text, phones, codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from intake import normalise


@pytest.mark.parametrize(("raw", "region", "e164"), [
    ("9812345678", "NP", "+9779812345678"),
    ("+977 981-234-5678", "NP", "+9779812345678"),
    ("00977 9812345678", "NP", "+9779812345678"),
    ("069 123 4567", "AL", "+355691234567"),
    ("+1 (415) 555-2671", "NP", "+14155552671"),
], ids=["np-local", "np-intl", "np-00", "al-local", "us-intl"])
def test_phones_become_e164(raw, region, e164):
    assert normalise.phone_e164(raw, region=region) == e164


@pytest.mark.parametrize("raw", ["12", "hello", "+977 1", "9" * 41], ids=["short", "letters", "too-short-intl", "long"])
def test_bad_phones_are_refused_without_echoing_the_number(raw):
    with pytest.raises(InvalidInput) as failure:
        normalise.phone_e164(raw, region="NP")
    assert raw not in failure.value.message or len(raw) <= 2


def test_text_is_nfc_and_control_free():
    text = normalise.complaint_text("  Cafe\u0301\x07 pipe\r\nburst\u200b  \n\n\n\nhelp ")
    assert text == "Café pipe\nburst\u200b\n\nhelp"


@given(st.text(max_size=300))
def test_clean_text_is_idempotent_and_bounded(raw):
    try:
        once = normalise.clean_text(raw, field="text", max_chars=5000)
    except InvalidInput as failure:
        assert failure.field == "text"
        return
    assert "\x00" not in once and once == once.strip()
    assert normalise.clean_text(once, field="text", max_chars=5000) == once
    assert all(ch in "\n\t" or ord(ch) >= 32 for ch in once)


def test_masked_phone_keeps_only_the_ends():
    assert normalise.mask_phone("+9779812345678") == "+977•••••••678"
