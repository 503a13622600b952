"""Admin routing rules: keywords or patterns that settle a category or office before the model is asked.

Rules match the normalised text (case-folded, NFKC, digits as 0), so "BRIBE", "bribe" and "Bribe"
are one keyword; a keyword matches whole words only, so "bus" does not match "business".
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.text import normalise
from core.errors import InvalidInput, NotFound
from intake.actors import Actor
from intake.models import Category, Office
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


def create_rule(session: Session, *, name: str, pattern: str, is_regex: bool = False, category: Category | None,
                office: Office | None, priority: int = 100, actor: Actor, now: datetime) -> RoutingRule:
    """Add a rule after checking it compiles and decides something."""
    name, pattern = name.strip(), pattern.strip()
    if not name or len(name) > 100:
        raise InvalidInput("a rule needs a name of 1 to 100 characters", field="name")
    if not pattern or len(pattern) > MAX_PATTERN_CHARS:
        raise InvalidInput(f"a rule needs a pattern of 1 to {MAX_PATTERN_CHARS} characters", field="pattern")
    if category is None and office is None:
        raise InvalidInput("a rule must name a category, an office or both", field="category")
    compile_rule(pattern, is_regex=is_regex)
    rule = RoutingRule(name=name, pattern=pattern, is_regex=is_regex, category=category, office=office,
                       priority=priority, active=True, created_at=now, created_by=actor.id)
    session.add(rule)
    session.flush()
    return rule


def deactivate_rule(session: Session, *, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"no routing rule {rule_id}")
    rule.active = False
    return rule
