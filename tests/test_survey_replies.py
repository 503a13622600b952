"""Reading survey replies: a table of realistic answers, and properties that hold for any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.replies import Kind, normalise, parse_score, parse_yes_no

S = Kind.SCORE
SCORES = [  # (reply, expected kind, expected score)
    ("5", S, 5), ("1", S, 1), (" 3 ", S, 3), ("4.", S, 4), ("2!", S, 2), ("5/5", S, 5), ("3 / 5", S, 3),
    ("4 out of 5", S, 4), ("I give 4", S, 4), ("4 stars", S, 4), ("rating: 2", S, 2), ("it was a 1", S, 1),
    ("٣", S, 3), ("٥", S, 5), ("۴", S, 4), ("३", S, 3), ("५", S, 5), ("१", S, 1), ("२ ", S, 2), ("४।", S, 4),
    ("５", S, 5), ("1️⃣", S, 1), ("4️⃣", S, 4), ("⭐⭐⭐", S, 3), ("⭐⭐⭐⭐⭐", S, 5), ("★★", S, 2),
    ("one", S, 1), ("Two", S, 2), ("THREE", S, 3), ("four", S, 4), ("five", S, 5), ("fiev", S, 5),
    ("thre", S, 3), ("fuor", S, 4), ("एक", S, 1), ("दुई", S, 2), ("तीन", S, 3), ("चार", S, 4), ("पाँच", S, 5),
    ("पांच", S, 5), ("ek", S, 1), ("dui", S, 2), ("tin", S, 3), ("char", S, 4), ("panch", S, 5), ("paanch", S, 5),
    ("very bad", S, 1), ("terrible", S, 1), ("worst", S, 1), ("bad", S, 2), ("poor", S, 2), ("not good", S, 2),
    ("ok", S, 3), ("okay", S, 3), ("average", S, 3), ("not bad", S, 3), ("good", S, 4), ("Good.", S, 4),
    ("goood", S, 4), ("very good", S, 5), ("excellent", S, 5), ("Excelent", S, 5), ("great!", S, 5),
    ("नराम्रो", S, 2), ("धेरै नराम्रो", S, 1), ("ठीक", S, 3), ("राम्रो", S, 4), ("धेरै राम्रो", S, 5),
    ("ramro", S, 4), ("naramro", S, 2), ("thik", S, 3), ("dherai ramro", S, 5), ("ramro chha", S, 4),
    ("😡", S, 1), ("👎", S, 1), ("😞", S, 2), ("😐", S, 3), ("🙂", S, 4), ("👍", S, 4), ("😀", S, 5), ("❤️", S, 5),
    ("2 or 3", Kind.AMBIGUOUS, None), ("3-4", Kind.AMBIGUOUS, None), ("0", Kind.AMBIGUOUS, None),
    ("10", Kind.AMBIGUOUS, None), ("6", Kind.AMBIGUOUS, None), ("maybe", Kind.AMBIGUOUS, None),
    ("?", Kind.AMBIGUOUS, None), ("hmm", Kind.AMBIGUOUS, None), ("y", Kind.AMBIGUOUS, None),
    ("me too", Kind.AMBIGUOUS, None), ("😀😡", Kind.AMBIGUOUS, None),
    ("they made me wait 3 hours", Kind.TEXT, None),  # a number inside a sentence is no score
    ("I give it a 4", S, 4), ("score 5 thanks", S, 5),
    ("The clerk was rude and sent me away twice", Kind.TEXT, None),
    ("there is no water in our street since monday", Kind.TEXT, None),
    ("STOP", Kind.STOP, None), ("stop", Kind.STOP, None), ("", Kind.EMPTY, None), ("   ", Kind.EMPTY, None),
]
YES_NO = [
    ("yes", Kind.YES), ("YES", Kind.YES), ("y", Kind.YES), ("Y.", Kind.YES), ("yeah", Kind.YES), ("yep", Kind.YES),
    ("yse", Kind.YES), ("yess", Kind.YES), ("yes they did", Kind.YES), ("Yes, 500 rupees", Kind.YES),
    ("of course", Kind.YES), ("हो", Kind.YES), ("हजुर", Kind.YES), ("हो, मागे", Kind.YES), ("ho", Kind.YES),
    ("hajur", Kind.YES), ("👍", Kind.YES), ("✅", Kind.YES), ("sure", Kind.YES), ("correct", Kind.YES),
    ("no", Kind.NO), ("NO", Kind.NO), ("n", Kind.NO), ("nope", Kind.NO), ("nah", Kind.NO), ("No.", Kind.NO),
    ("no one asked", Kind.NO), ("no, they did not", Kind.NO), ("never", Kind.NO), ("noo", Kind.NO),
    ("होइन", Kind.NO), ("छैन", Kind.NO), ("हैन", Kind.NO), ("hoina", Kind.NO), ("haina", Kind.NO),
    ("chaina", Kind.NO), ("👎", Kind.NO), ("❌", Kind.NO),
    ("maybe", Kind.AMBIGUOUS), ("may be", Kind.AMBIGUOUS), ("yes no", Kind.AMBIGUOUS), ("idk", Kind.AMBIGUOUS),
    ("?", Kind.AMBIGUOUS), ("a", Kind.AMBIGUOUS), ("k", Kind.AMBIGUOUS), ("yay", Kind.AMBIGUOUS),
    ("say what", Kind.AMBIGUOUS), ("I am not sure about it", Kind.AMBIGUOUS), ("थाहा छैन", Kind.AMBIGUOUS),
    ("the officer asked me for tea money", Kind.TEXT), ("STOP", Kind.STOP), ("", Kind.EMPTY),
]


def test_the_table_has_more_than_a_hundred_realistic_replies():
    assert len(SCORES) + len(YES_NO) >= 100


@pytest.mark.parametrize("text, kind, score", SCORES, ids=[repr(t) for t, _, _ in SCORES])
def test_scores(text, kind, score):
    assert parse_score(text) == (parse_score(text).__class__(kind, score))


@pytest.mark.parametrize("text, kind", YES_NO, ids=[repr(t) for t, _ in YES_NO])
def test_yes_or_no(text, kind):
    assert parse_yes_no(text).kind is kind


DIGIT_SETS = ["12345", "١٢٣٤٥", "۱۲۳۴۵", "१२३४५", "১২৩৪৫", "１２３４５"]


@given(st.sampled_from(DIGIT_SETS), st.integers(1, 5), st.text(" .!?,", max_size=3), st.text(" ", max_size=3))
def test_a_lone_digit_in_any_script_is_that_score_whatever_surrounds_it(digits, value, after, before):
    assert parse_score(before + digits[value - 1] + after) == parse_score(str(value))
    assert parse_score(str(value)).score == value


@given(st.text(max_size=200))
def test_any_text_parses_without_error_and_scores_stay_in_range(text):
    reply = parse_score(text)
    assert reply.score is None or 1 <= reply.score <= 5
    assert (reply.kind is Kind.SCORE) == (reply.score is not None)
    assert parse_yes_no(text).kind in set(Kind) - {Kind.SCORE}


@given(st.text(alphabet="abcdefghijklmopqrstuvwxz", min_size=1, max_size=1))
def test_no_single_letter_but_y_and_n_is_yes_or_no(letter):
    assert parse_yes_no(letter).kind is Kind.AMBIGUOUS


@given(st.sampled_from(["maybe", "may", "yesterday", "nothing", "nobel", "yellow", "mayor", "any", "many"]))
def test_words_near_yes_or_no_are_not_taken_for_them(word):
    assert parse_yes_no(word).kind not in (Kind.YES,) or word.startswith("y") and len(word) <= 4


@given(st.sampled_from(["yes", "no", "हो", "होइन"]), st.sampled_from(["", " ", "!", ".", "  "]))
def test_case_and_punctuation_do_not_change_yes_or_no(word, tail):
    assert parse_yes_no(word.upper() + tail).kind == parse_yes_no(word).kind


def test_normalise_folds_scripts_and_drops_emoji_selectors():
    assert normalise("  ٣ 4️⃣  YES ") == "3 4 yes"
