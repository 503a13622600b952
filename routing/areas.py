"""Where a complaint is, from the place names in its text (for channels such as SMS that ask no questions)."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.models import Area


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def mentioned_area(session: Session, text: str) -> tuple[str, str] | None:
    """(area code, the name found) of the most specific area the text names; None when none or several clash."""
    folded = _fold(text)
    found: list[tuple[str, str]] = []
    for code, names, translations in session.execute(select(Area.code, Area.names, Area.translations)
                                                     .where(Area.active)):
        for name in [*names, *(translations or {}).values()]:
            if re.search(rf"(?<!\w){re.escape(_fold(name))}(?!\w)", folded):
                found.append((code, name))
                break
    if not found:
        return None
    # "Northbank, Riverlands" names RV-N and RV: keep the deepest; two unrelated areas are ambiguous
    deepest = max(found, key=lambda item: item[0].count("-"))
    if any(code != deepest[0] and not deepest[0].startswith(code + "-") for code, _ in found):
        return None
    return deepest
