"""Messages to citizens in their language: gettext catalogues (babel .po files) shipped in core/locale.

Every text is written in code as `say(language, "English text {value}", value=...)`; `make messages`
extracts those literals into core/locale/messages.pot and updates each language's .po file. The .po
files are the source: they are compiled in memory when first used, so no build step is needed.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
KEYWORDS = {"say": (2,), "Figure": (2,)}  # for extraction: say()'s message, a figure's label


@lru_cache(maxsize=1)
def shipped() -> tuple[str, ...]:
    """Languages with a catalogue, English (the source language) first."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE, *[code for code in found if code != SOURCE_LANGUAGE])


def best(language: str | None) -> str:
    """The shipped language for a tag such as 'ne-NP' or 'NE'; English when none matches."""
    if language:
        base = language.strip().lower().replace("_", "-").split("-")[0]
        if base in shipped():
            return base
    return SOURCE_LANGUAGE


@lru_cache(maxsize=16)
def _translations(language: str) -> gettext.NullTranslations:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == SOURCE_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def say(language: str | None, message: str, /, **values: object) -> str:
    """The message in the language (English if it has no translation), with its {values} filled in."""
    text = _translations(best(language)).gettext(message)
    return text.format(**values) if values else text


def guess_language(text: str, *, default: str | None = None) -> str | None:
    """A first guess from the script: Devanagari text is Nepali; Latin script says nothing."""
    if "ne" in shipped() and any("\u0900" <= ch <= "\u097f" for ch in text):
        return "ne"
    return default
