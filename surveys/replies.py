"""Reading a survey answer from a citizen's SMS: a score from 1 to 5, or yes or no, in the words people use.

Digits in any script (Latin, Arabic-Indic, Devanagari, …), keycap emoji and stars, number words
and rating words in English and Nepali (in Devanagari and in Latin letters), faces and thumbs.
Typos are forgiven by one edit (a swap counts as one) only for words of three letters or more that
start with the same letter, so "maybe" is never "y" and "may" is never "yay". What cannot be read
is `ambiguous` (ask once more) or, when it is long enough to be one, `text` (maybe a new complaint).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    SCORE = "score"
    YES = "yes"
    NO = "no"
    STOP = "stop"
    AMBIGUOUS = "ambiguous"
    TEXT = "text"  # several words that answer nothing: a comment, or a new complaint
    EMPTY = "empty"


@dataclass(frozen=True)
class Reply:
    kind: Kind
    score: int | None = None


STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "रोक", "बन्द"})
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "एक": 1, "दुई": 2, "तीन": 3, "चार": 4, "पाँच": 5, "पांच": 5,
    "ek": 1, "dui": 2, "tin": 3, "teen": 3, "char": 4, "chaar": 4, "panch": 5, "paanch": 5, "pach": 5,
}
RATING_WORDS = {  # the whole reply, once normalised
    "very bad": 1, "terrible": 1, "worst": 1, "horrible": 1, "awful": 1, "very poor": 1,
    "bad": 2, "poor": 2, "not good": 2, "not satisfied": 2, "unsatisfied": 2, "dissatisfied": 2,
    "ok": 3, "okay": 3, "average": 3, "fine": 3, "so so": 3, "not bad": 3,
    "good": 4, "satisfied": 4, "nice": 4,
    "very good": 5, "excellent": 5, "great": 5, "perfect": 5, "very satisfied": 5, "fantastic": 5,
    "धेरै नराम्रो": 1, "एकदम नराम्रो": 1, "नराम्रो": 2, "ठीक": 3, "ठिक": 3, "ठीकै": 3, "राम्रो": 4,
    "सन्तुष्ट": 4, "धेरै राम्रो": 5, "एकदम राम्रो": 5,
    "dherai naramro": 1, "naramro": 2, "thik": 3, "thikai": 3, "ramro": 4, "dherai ramro": 5, "ekdam ramro": 5,
}
FACES = {"😡": 1, "😠": 1, "👎": 1, "🤬": 1, "😞": 2, "😢": 2, "😭": 2, "☹": 2, "🙁": 2, "😕": 2, "😐": 3,
         "😶": 3, "🙂": 4, "👍": 4, "😊": 5, "😀": 5, "😃": 5, "😄": 5, "😁": 5, "🥰": 5, "😍": 5, "❤": 5,
         "👏": 5, "💯": 5}
STARS = frozenset("⭐★🌟")
YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "yup", "ya", "yah", "sure", "true", "correct", "right",
                       "हो", "हजुर", "हो हजुर", "छ", "थियो", "मागे", "मागेको", "ho", "hajur", "thiyo", "mage",
                       "chha", "cha", "course", "definitely", "obviously"})
NO_WORDS = frozenset({"no", "n", "nope", "nah", "never", "not", "none", "false", "nobody", "noone",
                      "होइन", "हैन", "छैन", "थिएन", "मागेनन्", "कसैले", "hoina", "haina", "chaina", "chhaina",
                      "thiyena", "thiena", "magenan"})
YES_SIGNS = frozenset({"👍", "✅", "✔", "☑", "👌"})
NO_SIGNS = frozenset({"👎", "❌", "✖", "❎", "🚫"})
UNSURE = ("not sure", "don't know", "dont know", "do not know", "idk", "maybe", "may be", "perhaps",
          "थाहा छैन", "थाहा भएन", "thaha chaina", "thaha chhaina")
SCORE_CONTEXT = frozenset({"give", "gave", "rate", "rating", "score", "stars", "star", "out", "marks", "अंक"})
REPEATS = re.compile(r"(.)\1+")
DIGITS = re.compile(r"\d+")
OUT_OF_FIVE = re.compile(r"^(\d)\s*(?:/|out of|of)\s*5$")
COMPLAINT_WORDS = 4  # a reply this long that answers nothing reads as a comment or a complaint


def normalise(text: str) -> str:
    """Case-folded, any script's digits as ASCII, emoji variation selectors and keycaps dropped, spaces collapsed."""
    out = []
    for char in unicodedata.normalize("NFKC", text or ""):
        if char in ("\ufe0f", "\u20e3", "\u200d"):
            continue
        value = unicodedata.decimal(char, None)
        out.append(str(value) if value is not None else char)
    return " ".join("".join(out).casefold().split())


def _words(text: str) -> list[str]:
    """The words, without digits, punctuation or emoji (Devanagari vowel signs stay in their words)."""
    words = ("".join(c for c in token if unicodedata.category(c)[0] not in "PSZN") for token in text.split())
    return [word for word in words if word]


def _one_edit(a: str, b: str) -> bool:
    """Within one insertion, deletion, substitution or swap of neighbours."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                   and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _swapped(a: str, b: str) -> bool:
    diff = [i for i in range(len(a)) if a[i] != b[i]] if len(a) == len(b) else []
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _lookup(word: str, lexicon: dict[str, int] | frozenset[str]) -> bool | int | None:
    """The word's value in the lexicon, exactly or within one typo of a word with the same first letter.

    Three-letter words forgive only a swap ("yse"), since one edit would make "too" two and "for" four.
    """
    if word in lexicon:
        return lexicon[word] if isinstance(lexicon, dict) else True
    single = REPEATS.sub(r"\1", word)  # "noo", "yesss"
    if single != word and single in lexicon:
        return lexicon[single] if isinstance(lexicon, dict) else True
    if len(word) < 3:
        return None
    for known in lexicon:
        if len(known) < 3 or known[0] != word[0]:
            continue
        if _swapped(word, known) if len(word) == 3 else _one_edit(word, known):
            return lexicon[known] if isinstance(lexicon, dict) else True
    return None


def parse_score(text: str) -> Reply:
    """A satisfaction score from 1 to 5."""
    clean = normalise(text)
    if not clean:
        return Reply(Kind.EMPTY)
    if clean in STOP_WORDS:
        return Reply(Kind.STOP)
    bare = clean.strip(" .!?,;:-")
    out_of_five = OUT_OF_FIVE.match(bare)
    if out_of_five:
        return _score(int(out_of_five.group(1)))
    numbers = {int(n) for n in DIGITS.findall(clean)}
    words = _words(clean)
    if numbers and len(words) >= COMPLAINT_WORDS and not SCORE_CONTEXT & set(words):
        return Reply(Kind.TEXT)  # "I waited 3 hours for nothing" is no score
        return Reply(Kind.TEXT)
    if len(numbers) == 1:
        return _score(numbers.pop())
    if len(numbers) > 1:
        return Reply(Kind.AMBIGUOUS)
    stars = sum(1 for char in clean if char in STARS)
    if stars:
        return _score(stars)
    faces = {FACES[char] for char in clean if char in FACES}
    if len(faces) == 1:
        return Reply(Kind.SCORE, faces.pop())
    words = _words(bare)
    phrase = " ".join(words)
    if phrase in RATING_WORDS:
        return Reply(Kind.SCORE, RATING_WORDS[phrase])
    named = {value for word in words if (value := _lookup(word, NUMBER_WORDS)) is not None}
    if len(named) == 1 and len(words) <= 3:
        return Reply(Kind.SCORE, int(named.pop()))
    if len(words) <= 2:
        rated = {value for word in words if (value := _lookup(word, RATING_WORDS)) is not None}
        if len(rated) == 1:
            return Reply(Kind.SCORE, int(rated.pop()))
    return Reply(Kind.TEXT) if len(words) >= COMPLAINT_WORDS else Reply(Kind.AMBIGUOUS)


def _score(value: int) -> Reply:
    return Reply(Kind.SCORE, value) if 1 <= value <= 5 else Reply(Kind.AMBIGUOUS)


def parse_yes_no(text: str) -> Reply:
    """Yes or no; both at once, or neither, is ambiguous."""
    clean = normalise(text)
    if not clean:
        return Reply(Kind.EMPTY)
    if clean in STOP_WORDS:
        return Reply(Kind.STOP)
    if any(unsure in clean for unsure in UNSURE):
        return Reply(Kind.AMBIGUOUS)
    words = _words(clean)
    phrase = " ".join(words)
    yes = phrase in YES_WORDS or any(char in YES_SIGNS for char in clean)
    no = phrase in NO_WORDS or any(char in NO_SIGNS for char in clean)
    for word in words:
        if len(word) == 1 and len(words) > 1:
            continue  # a lone letter means yes or no only as the whole answer ("y"), never inside a sentence
        yes = yes or bool(_lookup(word, YES_WORDS))
        no = no or bool(_lookup(word, NO_WORDS))
    if yes != no:
        return Reply(Kind.YES if yes else Kind.NO)
    if not yes and len(words) >= COMPLAINT_WORDS:
        return Reply(Kind.TEXT)
    return Reply(Kind.AMBIGUOUS)
