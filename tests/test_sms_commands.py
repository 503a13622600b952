"""Reading an inbound SMS: keywords only as the whole message, tracking numbers with typos, the rest a complaint."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.sms.commands import STOP_WORDS, Command, Kind, parse
from intake import tracking

NUMBER = tracking.number_for(12345)
TYPO = NUMBER[:-1] + ("A" if NUMBER[-1] != "A" else "B")

TABLE = [
    ("STOP", Command(Kind.STOP)),
    ("stop", Command(Kind.STOP)),
    (" Stop. ", Command(Kind.STOP)),
    ("STOPALL", Command(Kind.STOP)),
    ("unsubscribe", Command(Kind.STOP)),
    ("Cancel", Command(Kind.STOP)),
    ("END", Command(Kind.STOP)),
    ("quit!", Command(Kind.STOP)),
    ("रोक", Command(Kind.STOP)),
    ("START", Command(Kind.START)),
    ("unstop", Command(Kind.START)),
    ("HELP", Command(Kind.HELP)),
    ("help?", Command(Kind.HELP)),
    ("info", Command(Kind.HELP)),
    ("", Command(Kind.HELP)),
    ("   ", Command(Kind.HELP)),
    ("मद्दत", Command(Kind.HELP)),
    (f"STATUS {NUMBER}", Command(Kind.STATUS, NUMBER)),
    (f"status {NUMBER.lower()}", Command(Kind.STATUS, NUMBER.lower())),
    (f"Status: {NUMBER}.", Command(Kind.STATUS, NUMBER)),
    (f"status of {NUMBER} please", Command(Kind.STATUS, NUMBER)),
    (f"stauts {NUMBER}", Command(Kind.STATUS, NUMBER)),
    (f"STATSU {NUMBER}", Command(Kind.STATUS, NUMBER)),
    (f"स्थिति {NUMBER}", Command(Kind.STATUS, NUMBER)),
    (NUMBER, Command(Kind.STATUS, NUMBER)),
    (NUMBER.replace("-", ""), Command(Kind.STATUS, NUMBER.replace("-", ""))),
    (NUMBER.replace("-", " "), Command(Kind.STATUS, NUMBER.replace("-", " "))),
    (TYPO, Command(Kind.STATUS, TYPO)),
    ("STATUS", Command(Kind.STATUS)),
    ("status please", Command(Kind.STATUS)),
    ("Status of my pension?", Command(Kind.STATUS)),
    ("NEW the road near school is broken", Command(Kind.NEW, "the road near school is broken")),
    ("new: garbage again", Command(Kind.NEW, "garbage again")),
    ("नयाँ बाटो बिग्रियो", Command(Kind.NEW, "बाटो बिग्रियो")),
    ("LANG ne", Command(Kind.LANGUAGE, "ne")),
    ("language EN", Command(Kind.LANGUAGE, "en")),
    ("stop the construction noise at night", Command(Kind.TEXT, "stop the construction noise at night")),
    ("please help, no water for 3 days", Command(Kind.TEXT, "please help, no water for 3 days")),
    ("status of my pension application nobody replied for months",
     Command(Kind.TEXT, "status of my pension application nobody replied for months")),
    ("statues broken in the park", Command(Kind.TEXT, "statues broken in the park")),
    ("PROBLEMS", Command(Kind.TEXT, "PROBLEMS")),
    ("NEW", Command(Kind.TEXT, "NEW")),
    ("the end of the road has no light", Command(Kind.TEXT, "the end of the road has no light")),
    ("पानी आएन", Command(Kind.TEXT, "पानी आएन")),
    (f"ESCALATE {NUMBER}", Command(Kind.ESCALATE, NUMBER)),
    ("escalate", Command(Kind.ESCALATE)),
    (f"escalte {NUMBER}", Command(Kind.ESCALATE, NUMBER)),
    ("escalate this to the minister, nobody listens",
     Command(Kind.TEXT, "escalate this to the minister, nobody listens")),
]


@pytest.mark.parametrize(("body", "expected"), TABLE, ids=[t[0][:30] or "empty" for t in TABLE])
def test_the_conversation_table(body, expected):
    assert parse(body) == expected


@given(st.text(max_size=300))
def test_parse_reads_anything_and_keeps_complaint_text(body):
    command = parse(body)
    assert isinstance(command.kind, Kind)
    if command.kind is Kind.TEXT:  # a complaint is kept whole, only normalised and trimmed
        assert command.argument == unicodedata.normalize("NFC", body).strip()


@given(st.sampled_from(sorted(STOP_WORDS)), st.text(alphabet="abcdefghij ", min_size=3, max_size=40))
def test_an_opt_out_word_with_more_words_after_it_never_opts_out(word, rest):
    if rest.strip():
        assert parse(f"{word} {rest.strip()}").kind is not Kind.STOP
