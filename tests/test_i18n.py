"""The gettext catalogues: every text in the code is in the template; each shipped language translates all of it."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.i18n import KEYWORDS, LOCALE_DIR, best, guess_language, say, shipped

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["core", "intake", "routing", "escalation", "surveys", "channels", "dashboards", "app"]


def in_code() -> set[str]:
    found = set()
    for package in PACKAGES:
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT / package, keywords=KEYWORDS):
            found.add(message)
    return found


def catalogue(path: Path):
    with path.open("rb") as po:
        return read_po(po)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_template_holds_exactly_the_texts_in_the_code():
    """`make messages` was run after the last text changed."""
    template = {m.id for m in catalogue(LOCALE_DIR / "messages.pot") if m.id}
    assert template == in_code()


@pytest.mark.parametrize("language", [code for code in shipped() if code != "en"])
def test_every_shipped_language_translates_every_text_with_the_same_placeholders(language):
    translations = {m.id: m for m in catalogue(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po") if m.id}
    assert set(translations) == in_code()
    for message_id, message in translations.items():
        assert message.string, f"{language}: untranslated {message_id!r}"
        assert not message.fuzzy, f"{language}: fuzzy {message_id!r}"
        assert fields(message.string) == fields(message_id), message_id
        for keyword in re.findall(r"\b(?:STATUS|NEW|STOP|START|HELP|LANG)\b", message_id):
            assert keyword in message.string, f"{language}: the command {keyword} must stay in {message_id!r}"


def test_say_translates_and_falls_back_to_english():
    assert shipped()[0] == "en" and "ne" in shipped()
    assert say("ne", "resolved") == "समाधान भयो"
    assert say("ne-NP", "resolved") == "समाधान भयो"
    assert say("fr", "resolved") == "resolved"
    assert say(None, "sent to {office}", office="X") == "sent to X"
    assert best("NE") == "ne" and best("zz") == "en" and best("") == "en"


def test_script_guesses_nepali_only_from_devanagari():
    assert guess_language("पानी आएन", default="en") == "ne"
    assert guess_language("pani aayena", default="en") == "en"
    assert guess_language("", default=None) is None
