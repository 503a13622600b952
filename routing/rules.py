"""Admin routing rules: keywords or patterns that settle a category or office before the model is asked.

Rules match the normalised text (case-folded, NFKC, digits as 0), so "BRIBE", "bribe" and "Bribe"
are one keyword; a keyword matches whole words only, so "bus" does not match "business".
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.text import normalise
from core.errors import InvalidInput
from routing.models import RoutingRule

MAX_PATTERN_CHARS = 300


def compile_rule(pattern: str, *, is_regex: bool) -> re.Pattern[str]:
    """The rule's matcher; a keyword may list alternatives separated by '|' ("bribe|ghus|घुस")."""
    if is_regex:
        try:
            return re.compile(normalise(pattern))
        except re.error as exc:
            raise InvalidInput(f"pattern is not a valid regular expression: {exc}", field="pattern") from exc
    words = [re.escape(normalise(word.strip())) for word in pattern.split("|") if word.strip()]
    if not words:
        raise InvalidInput("a keyword rule needs at least one word", field="pattern")
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")


def first_match(session: Session, text: str) -> RoutingRule | None:
    """The matching active rule with the lowest priority number (the oldest among equals)."""
    normalised = normalise(text)
    rules = session.scalars(select(RoutingRule).where(RoutingRule.active)
                            .order_by(RoutingRule.priority, RoutingRule.id))
    for rule in rules:
        if _matcher(rule.pattern, rule.is_regex).search(normalised):
            return rule
    return None


@lru_cache(maxsize=512)
def _matcher(pattern: str, is_regex: bool) -> re.Pattern[str]:
    """Compiled once per pattern: every new complaint is matched against every rule."""
    return compile_rule(pattern, is_regex=is_regex)
