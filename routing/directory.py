"""The routing part of an office directory (categories, offices, rules, areas, replies, staff); re-running it
updates in place.

escalation.directory.load_file reads the whole file (this part, then calendars and SLAs).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from intake.accounts import hash_password, upsert_staff
from intake.models import Category, Office, OfficeLevel, Role
from routing.models import Area, CannedReply, RoutingRule
from routing.rules import compile_rule

E = TypeVar("E", bound=StrEnum)
PLACEHOLDER = re.compile(r"\{(\w*)\}")



DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


def questions(rows: Any, where: str) -> list[dict[str, Any]]:
    """A category's extra questions, checked: a code, a description, a datatype, and the choices of a list."""
    if not isinstance(rows, list):
        raise InvalidInput(f"{where}: questions must be a list of tables")
    out, seen = [], set()
    for order, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise InvalidInput(f"{where}: question {order} must be a table")
        code = _required(row, "code", f"{where} question {order}")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", code) or code in seen:
            raise InvalidInput(f"{where}: question code {code!r} must be unique letters, digits, _ . -")
        seen.add(code)
        datatype = str(row.get("datatype", "string"))
        if datatype not in DATATYPES:
            raise InvalidInput(f"{where}: question {code}: datatype is one of {', '.join(DATATYPES)}")
        values = row.get("values", [])
        if datatype.endswith("valuelist") and not (isinstance(values, list) and values and all(
                isinstance(v, dict) and v.get("key") and v.get("name") for v in values)):
            raise InvalidInput(f"{where}: question {code}: a list question needs values with a key and a name")
        out.append({"code": code, "description": _required(row, "description", f"{where} question {code}"),
                    "datatype": datatype, "required": bool(row.get("required", False)), "order": order,
                    "values": [{"key": str(v["key"]), "name": str(v["name"])} for v in values]
                    if datatype.endswith("valuelist") else []})
    return out


def load(session: Session, *, data: dict[str, Any], now: datetime, staff_password: str | None) -> None:
    """Upsert categories, then offices (parents first), then staff; any error names the row and loads nothing."""
    categories = {c.code: c for c in session.scalars(select(Category))}
    for row in _rows(data, "categories"):
        code = _required(row, "code", "category").lower()
        category = categories.get(code) or Category(code=code)
        category.name = _required(row, "name", f"category {code}")
        category.description = str(row.get("description", ""))[:1000]
        category.response_hours = _hours(row, "response_hours", 72, f"category {code}")
        category.resolution_hours = _hours(row, "resolution_hours", 720, f"category {code}")
        category.is_integrity = bool(row.get("integrity", False))
        category.route_threshold = _threshold(row, f"category {code}")
        category.questions = questions(row.get("questions", []), f"category {code}") or None
        categories[code] = category
        session.add(category)

    offices = {o.code: o for o in session.scalars(select(Office))}
    for row in _rows(data, "offices"):
        code = _required(row, "code", "office").upper()
        office = offices.get(code) or Office(code=code)
        office.name = _required(row, "name", f"office {code}")
        office.level = _choice(OfficeLevel, row.get("level", "office"), f"office {code} level")
        parent_code = row.get("parent")
        if parent_code is not None and parent_code not in offices:
            raise InvalidInput(f"office {code}: parent {parent_code!r} must be listed before it")
        office.parent = offices[parent_code] if parent_code else None
        office.jurisdiction = [area.upper() for area in _strings(row, "jurisdiction", f"office {code}")]
        office.timezone = _timezone(row.get("timezone", "UTC"), code)
        office.is_oversight = bool(row.get("oversight", False))
        office.is_integrity_unit = bool(row.get("integrity_unit", False))
        handled = _strings(row, "categories", f"office {code}")
        unknown = [c for c in handled if c not in categories]
        if unknown:
            raise InvalidInput(f"office {code}: unknown categories {unknown}")
        office.categories = [categories[c] for c in handled]
        offices[code] = office
        session.add(office)
    session.flush()

    _load_rules(session, _rows(data, "rules"), categories=categories, offices=offices, now=now)
    _load_areas(session, _rows(data, "areas"))
    _load_replies(session, _rows(data, "replies"), categories=categories)

    # One hash serves every account loaded here: they share the one password the loader was given.
    password_hash = hash_password(staff_password) if staff_password is not None else ""
    for row in _rows(data, "staff") if staff_password is not None else []:
        username = _required(row, "username", "staff").lower()
        office_code = _required(row, "office", f"staff {username}").upper()
        if office_code not in offices:
            raise InvalidInput(f"staff {username}: unknown office {office_code}")
        role = _choice(Role, row.get("role", "officer"), f"staff {username} role")
        name = _required(row, "name", f"staff {username}")
        upsert_staff(session, username=username, display_name=name, role=role, office=offices[office_code],
                     password_hash=password_hash, now=now)
    session.flush()


def _load_areas(session: Session, rows: list[dict[str, Any]]) -> None:
    """Upsert admin areas by code with the place names that identify them in a complaint's text."""
    areas = {a.code: a for a in session.scalars(select(Area))}
    for row in rows:
        code = _required(row, "code", "area").upper()
        names = _strings(row, "names", f"area {code}")
        if not names or any(not name.strip() or len(name) > 100 for name in names):
            raise InvalidInput(f"area {code}: 'names' must list 1 or more place names of at most 100 characters")
        area = areas.get(code) or Area(code=code)
        area.names = [name.strip() for name in names]
        areas[code] = area
        session.add(area)


def _load_replies(session: Session, rows: list[dict[str, Any]], *, categories: dict[str, Category]) -> None:
    """Upsert canned replies by (category, language, title); the text may use {tracking} and {office}."""
    existing = {(r.category_id, r.language, r.title): r for r in session.scalars(select(CannedReply))}
    for row in rows:
        title = _required(row, "title", "reply")[:100]
        what = f"reply {title!r}"
        language = _required(row, "language", what).lower()
        text = row.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 1000:
            raise InvalidInput(f"{what}: 'text' is required, at most 1,000 characters")
        unknown = set(PLACEHOLDER.findall(text)) - {"tracking", "office"}
        if unknown:
            raise InvalidInput(f"{what}: only {{tracking}} and {{office}} can be filled in, not {sorted(unknown)}")
        code = row.get("category")
        if code is not None and code not in categories:
            raise InvalidInput(f"{what}: unknown category {code!r}")
        category_id = categories[code].id if code else None
        reply = existing.get((category_id, language, title)) or CannedReply(category_id=category_id,
                                                                           language=language, title=title)
        reply.text = text.strip()
        existing[(category_id, language, title)] = reply
        session.add(reply)


def _load_rules(session: Session, rows: list[dict[str, Any]], *, categories: dict[str, Category],
                offices: dict[str, Office], now: datetime) -> None:
    """Upsert routing rules by name; each must compile and name a known category or office."""
    existing = {r.name: r for r in session.scalars(select(RoutingRule))}
    for row in rows:
        name = _required(row, "name", "rule")
        pattern = _required(row, "pattern", f"rule {name}")
        is_regex = bool(row.get("regex", False))
        try:
            compile_rule(pattern, is_regex=is_regex)
        except InvalidInput as exc:
            raise InvalidInput(f"rule {name}: {exc.message}") from exc
        category_code, office_code = row.get("category"), row.get("office")
        if category_code is not None and category_code not in categories:
            raise InvalidInput(f"rule {name}: unknown category {category_code!r}")
        if office_code is not None and str(office_code).upper() not in offices:
            raise InvalidInput(f"rule {name}: unknown office {office_code!r}")
        if category_code is None and office_code is None:
            raise InvalidInput(f"rule {name}: name a category, an office or both")
        priority = row.get("priority", 100)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise InvalidInput(f"rule {name}: 'priority' must be a whole number (lower wins)")
        rule = existing.get(name) or RoutingRule(name=name, created_at=now, created_by="directory")
        rule.pattern, rule.is_regex, rule.priority, rule.active = pattern, is_regex, priority, True
        rule.category = categories[category_code] if category_code else None
        rule.office = offices[str(office_code).upper()] if office_code else None
        session.add(rule)


def _threshold(row: dict[str, Any], what: str) -> float | None:
    value = row.get("route_threshold")
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
        raise InvalidInput(f"{what}: 'route_threshold' must be a number above 0 and at most 1")
    return float(value)


def _rows(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = data.get(key, [])
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InvalidInput(f"'{key}' must be a list of tables: write each as [[{key}]]")
    return rows


def _required(row: dict[str, Any], key: str, what: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what}: '{key}' is required")
    if len(value) > 200:
        raise InvalidInput(f"{what}: '{key}' is longer than 200 characters")
    return value.strip()


def _hours(row: dict[str, Any], key: str, default: int, what: str) -> int:
    value = row.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 24 * 366:
        raise InvalidInput(f"{what}: '{key}' must be a whole number of hours from 1 to 8784")
    return value


def _strings(row: dict[str, Any], key: str, what: str) -> list[str]:
    value = row.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise InvalidInput(f"{what}: '{key}' must be a list of codes, like [\"RV-N\"]")
    return [item.strip() for item in value]


def _choice(enum: type[E], value: object, what: str) -> E:
    try:
        return enum(value)
    except ValueError as exc:
        raise InvalidInput(f"{what}: {value!r} is not one of {[m.value for m in enum]}") from exc


def _timezone(name: str, code: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"office {code}: unknown timezone {name!r}") from exc
    return name
