"""SMS segment counting (GSM-7 and UCS-2) and GSM-safe look-alikes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.segments import GSM7_BASIC, GSM7_EXTENDED, encoding, gsm_safe, segments


@pytest.mark.parametrize(("text", "expected", "parts"), [
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("€" * 80, "GSM-7", 1),  # 160 septets
    ("€" * 81, "GSM-7", 2),
    ("a" * 152 + "€" + "a" * 10, "GSM-7", 2),  # the escape pair moves whole to part two
    ("अ" * 70, "UCS-2", 1),
    ("अ" * 71, "UCS-2", 2),
    ("अ" * 134, "UCS-2", 2),
    ("अ" * 135, "UCS-2", 3),
    ("😀" * 35, "UCS-2", 1),  # each emoji is two UTF-16 units
    ("😀" * 36, "UCS-2", 2),
    ("a" * 159 + "’", "UCS-2", 3),  # one curly quote turns 160 characters into three parts
    ("", "GSM-7", 1),
], ids=["160", "161", "306", "307", "euro-80", "euro-81", "escape-not-split", "deva-70", "deva-71", "deva-134",
        "deva-135", "emoji-35", "emoji-36", "curly-quote", "empty"])
def test_segments(text, expected, parts):
    assert encoding(text) == expected
    assert segments(text) == parts


def test_gsm_safe_replaces_look_alikes_only():
    assert gsm_safe("Don’t wait — it’s “urgent”…") == "Don't wait - it's \"urgent\"..."
    assert segments(gsm_safe("a" * 159 + "’")) == 1
    assert gsm_safe("नेपाल “x”") == "नेपाल \"x\""
    assert gsm_safe("plain") == "plain"


gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENDED), max_size=600)


@given(gsm_text)
def test_gsm_parts_hold_the_text(text):
    """Parts times capacity always covers the septets, and one part fewer would not."""
    septets = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
    parts = segments(text)
    assert encoding(text) == "GSM-7"
    if septets <= 160:
        assert parts == 1
    else:
        assert parts * 153 >= septets and (parts - 1) * 153 < septets + parts  # at most one septet lost per split


@given(st.text(max_size=400), st.sampled_from(["x", "€", "अ", "😀"]))
def test_a_longer_text_in_the_same_encoding_never_costs_fewer_parts(text, extra):
    longer = text + extra
    assert segments(text) >= 1
    if encoding(text) == encoding(longer):
        assert segments(longer) >= segments(text)
