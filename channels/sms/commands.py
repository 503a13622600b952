"""What an inbound SMS asks for: a keyword command, a tracking query, or the text of a complaint.

Opt-out and help keywords count only when they are the whole message, as carriers treat them:
"STOP" opts out, "stop the noise at night" is a complaint.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from intake import tracking


class Kind(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    STATUS = "status"
    NEW = "new"
    LANGUAGE = "language"
    ESCALATE = "escalate"
    TEXT = "text"


STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "रोक", "रोक्नुहोस्"})
START_WORDS = frozenset({"start", "unstop", "सुरु"})
HELP_WORDS = frozenset({"help", "info", "मद्दत", "सहायता"})
STATUS_WORDS = frozenset({"status", "track", "स्थिति"})
NEW_WORDS = frozenset({"new", "नयाँ"})
LANGUAGE_WORDS = frozenset({"lang", "language", "भाषा"})
ESCALATE_WORDS = frozenset({"escalate"})
_TRACKING_SHAPE = re.compile(r"^[A-Za-z0-9]{4}[\s\-._]?[A-Za-z0-9]{4}$")
_EDGE_PUNCTUATION = " \t\n.!?,;:'\"()[]।"


@dataclass(frozen=True)
class Command:
    kind: Kind
    argument: str = ""  # the tracking number, language code, or complaint text that follows


def parse(body: str) -> Command:
    """Read one inbound SMS; anything that is not a command is the text of a complaint (or a follow-up)."""
    text = unicodedata.normalize("NFC", body).strip()
    whole = text.strip(_EDGE_PUNCTUATION).casefold()
    if whole in STOP_WORDS:
        return Command(Kind.STOP)
    if whole in START_WORDS:
        return Command(Kind.START)
    if whole in HELP_WORDS or not whole:
        return Command(Kind.HELP)
    if looks_like_tracking(whole):
        return Command(Kind.STATUS, text.strip(_EDGE_PUNCTUATION))
    first, _, rest = text.partition(" ") if " " in text else (text, "", "")
    keyword = first.strip(_EDGE_PUNCTUATION).casefold()
    rest = rest.strip()
    asked = _tracking_in(rest)
    if keyword in STATUS_WORDS and (asked is not None or len(rest.split()) <= 3):
        return Command(Kind.STATUS, asked or "")  # "status please"; a longer text is a complaint
    if _near(keyword, "status") and asked is not None:  # a typo in the keyword: only with a number after it
        return Command(Kind.STATUS, asked)
    if (keyword in ESCALATE_WORDS or _near(keyword, "escalate")) and (asked is not None or not rest):
        return Command(Kind.ESCALATE, asked or "")
    if keyword in NEW_WORDS and rest:
        return Command(Kind.NEW, rest)
    if keyword in LANGUAGE_WORDS and rest and len(rest) <= 16:
        return Command(Kind.LANGUAGE, rest.strip(_EDGE_PUNCTUATION).casefold())
    return Command(Kind.TEXT, text)


def _tracking_in(text: str) -> str | None:
    """The tracking number in a short text: all of it, or one word shaped like one."""
    text = text.strip(_EDGE_PUNCTUATION)
    if looks_like_tracking(text):
        return text
    return next((w.strip(_EDGE_PUNCTUATION) for w in text.split() if looks_like_tracking(w.strip(_EDGE_PUNCTUATION))),
                None)


def looks_like_tracking(text: str) -> bool:
    """Shaped like XXXX-XXXX; without a separator or a digit it must also pass the check (a plain word)."""
    text = text.strip()
    if not _TRACKING_SHAPE.match(text):
        return False
    if any(ch.isdigit() for ch in text) or not text.isalpha():
        return True
    return tracking.is_valid(text)


def _near(word: str, target: str) -> bool:
    """One typo away (an insertion, deletion, substitution or swap of neighbours)."""
    if word == target or abs(len(word) - len(target)) > 1 or len(word) < 4:
        return word == target
    if len(word) == len(target):
        diffs = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        return len(diffs) == 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                                   and word[diffs[0]] == target[diffs[1]] and word[diffs[1]] == target[diffs[0]])
    short, long_ = sorted((word, target), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
