"""The directory's admin forms: which fields each section shows, and how a posted form becomes an entry of the
directory file (and back). The entry then goes through `directory.services.edit`, the same checks as a file, so
nothing here validates: a number that does not parse is passed on as typed, and the directory's own message
says what is wrong with it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from core.i18n import SOURCE_LANGUAGE, shipped
from directory.format import Key
from intake.models import OfficeLevel

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, whole, number, bool, choice, checkboxes, codes, lines, translations,
    # week, holidays
    choices: str = ""  # for choice and checkboxes: "offices", "categories", "levels", "bases", "languages"
    hint: str = ""
    optional: bool = False  # a choice or number left empty is left out of the entry
    key: bool = False  # part of what identifies the entry: fixed once it exists


@dataclass(frozen=True)
class Section:
    name: str  # the directory file's section
    title: str
    singular: str
    fields: tuple[Field, ...]
    columns: tuple[str, ...]  # shown in the list
    successor: str = ""  # "offices" or "categories": retiring one with open work names where it goes


TRANSLATIONS = Field("translations", "Name in other languages", "translations")
SECTIONS: dict[str, Section] = {s.name: s for s in (
    Section("offices", "Offices", "office", (
        Field("code", "Code", key=True, hint="letters, digits and '-', e.g. LK-WATER"),
        Field("name", "Name"), TRANSLATIONS,
        Field("level", "Level", "choice", "levels"),
        Field("parent", "Parent office", "choice", "offices", optional=True, hint="the office above; the "
              "escalation ladder climbs to it"),
        Field("jurisdiction", "Areas served", "codes", hint="area codes, separated by commas; RV covers RV-N too"),
        Field("timezone", "Timezone", hint="e.g. Asia/Kathmandu"),
        Field("categories", "Kinds of complaint it handles", "checkboxes", "categories"),
        Field("oversight", "Oversight office (the top of escalation ladders)", "bool"),
        Field("integrity_unit", "Integrity unit (receives complaints about officials)", "bool"),
    ), ("code", "name", "parent", "jurisdiction", "categories"), successor="offices"),
    Section("areas", "Areas", "area", (
        Field("code", "Code", key=True), Field("names", "Names people use (one per line; the first is shown)",
                                               "lines"), TRANSLATIONS,
    ), ("code", "names")),
    Section("categories", "Categories", "category", (
        Field("code", "Code", key=True, hint="lower-case; the routing model's label"),
        Field("name", "Name"), TRANSLATIONS, Field("description", "Description", "textarea"),
        Field("response_hours", "Response hours (where no SLA applies)", "whole"),
        Field("resolution_hours", "Resolution hours (where no SLA applies)", "whole"),
        Field("integrity", "Integrity complaints (only oversight sees them)", "bool"),
        Field("route_threshold", "Routing threshold", "number", optional=True,
              hint="0 to 1; below it the complaint waits in triage. Empty: the model's own"),
    ), ("code", "name", "response_hours", "resolution_hours"), successor="categories"),
    Section("sla", "SLA policies", "SLA policy", (
        Field("category", "Category", "choice", "categories", optional=True, key=True, hint="empty: every category"),
        Field("office", "Office", "choice", "offices", optional=True, key=True, hint="empty: every office"),
        Field("first_response_hours", "First response (silence) hours", "number"),
        Field("resolution_hours", "Resolution hours", "number"),
        Field("transfer_hours", "Take-up hours", "number", optional=True, hint="empty: no take-up deadline"),
        Field("escalation_hours", "Hours each escalation level gets", "number"),
        Field("basis", "Counted in", "choice", "bases"),
        Field("warn_fraction", "Warn when this share of the time is left", "number", hint="0 for no warning"),
    ), ("category", "office", "first_response_hours", "resolution_hours", "escalation_hours", "basis")),
    Section("calendars", "Calendars and holidays", "calendar", (
        Field("code", "Code", key=True), Field("name", "Name"), Field("timezone", "Timezone"),
        Field("week", "Working hours", "week", hint="e.g. 10:00-17:00; several spans separated by commas"),
        Field("holidays", "Holidays (one per line: 2027-02-19 Democracy Day)", "holidays"),
        Field("offices", "Offices that work by it (and those below them)", "codes"),
    ), ("code", "name", "timezone", "offices")),
    Section("rules", "Routing rules", "rule", (
        Field("name", "Name", key=True), Field("pattern", "Words (separated by |) or a regular expression"),
        Field("regex", "The pattern is a regular expression", "bool"),
        Field("category", "Category it decides", "choice", "categories", optional=True),
        Field("office", "Office it decides", "choice", "offices", optional=True),
        Field("priority", "Priority (lower wins)", "whole"),
    ), ("name", "pattern", "category", "office", "priority")),
    Section("replies", "Standard replies", "standard reply", (
        Field("category", "Category", "choice", "categories", optional=True, key=True, hint="empty: any"),
        Field("language", "Language", "choice", "languages", key=True),
        Field("title", "Title", key=True), Field("text", "Text ({office} and {tracking} are filled in)", "textarea"),
    ), ("title", "language", "category", "text")),
)}


def key_param(key: Key) -> str:
    """An entry's key as a URL parameter: a JSON list of its parts."""
    return json.dumps(list(key) if isinstance(key, tuple) else [key], ensure_ascii=False)


def key_from_param(section: str, raw: str) -> Key | None:
    """The key a page sent back, or None when it is not one (a hostile or broken link)."""
    try:
        parts = json.loads(raw) if len(raw) <= 1000 else None
    except ValueError:
        return None
    if not isinstance(parts, list) or not all(isinstance(p, str) and len(p) <= 300 for p in parts):
        return None
    expected = {"sla": 2, "replies": 3}.get(section, 1)
    if len(parts) != expected:
        return None
    return tuple(parts) if expected > 1 else parts[0]


def entry_from_form(section: Section, form: FormData, *, base: dict[str, Any]) -> dict[str, Any]:
    """The file form of the posted entry: `base` (the entry as it was, so fields without a form control — a
    category's questions — are kept) with every field of the form applied."""
    entry = dict(base)
    for field in section.fields:
        value = _read(field, form)
        if value is None:
            entry.pop(field.name, None)
        else:
            entry[field.name] = value
    if form.get("retired") == "yes":
        entry["retired"] = True
        successor = _text(form, "successor")
        if successor:
            entry["successor"] = successor
    else:
        entry.pop("retired", None)
    return entry


def _text(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _read(field: Field, form: FormData) -> Any:
    kind, raw = field.kind, _text(form, field.name)
    if kind == "bool":
        return form.get(field.name) == "yes"
    if kind in ("whole", "number"):
        if not raw and field.optional:
            return None
        try:
            return int(raw) if kind == "whole" else float(raw)
        except ValueError:
            return raw  # the directory's check says what a valid value is
    if kind == "choice":
        return raw or (None if field.optional else "")
    if kind == "checkboxes":
        return [v for v in form.getlist(field.name) if isinstance(v, str) and v][:500]
    if kind == "codes":
        return [part for part in re.split(r"[\s,]+", raw) if part]
    if kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if kind == "translations":
        return {language: text for language in other_languages()
                if (text := _text(form, f"translations.{language}", 200))}
    if kind == "week":
        return {day: [span.strip() for span in spans.split(",") if span.strip()]
                for day in DAYS if (spans := _text(form, f"week.{day}", 200))}
    if kind == "holidays":
        return [_holiday(line) for line in raw.splitlines() if line.strip()]
    return raw


def _holiday(line: str) -> dict[str, Any]:
    day, _, name = line.strip().partition(" ")
    try:
        parsed: Any = date.fromisoformat(day)
    except ValueError:
        parsed = day  # refused by the directory's check, naming what was typed
    return {"day": parsed, "name": name.strip() or "holiday"}


def form_values(section: Section, entry: dict[str, Any]) -> dict[str, Any]:
    """What each control shows for an entry (the inverse of `entry_from_form`)."""
    values: dict[str, Any] = {}
    for field in section.fields:
        value = entry.get(field.name)
        if field.kind == "codes":
            values[field.name] = ", ".join(value or [])
        elif field.kind == "lines":
            values[field.name] = "\n".join(value or [])
        elif field.kind == "holidays":
            values[field.name] = "\n".join(f"{h['day']} {h['name']}" for h in value or [])
        elif field.kind == "week":
            values[field.name] = {day: ", ".join(spans) for day, spans in (value or {}).items()}
        elif field.kind in ("translations", "checkboxes"):
            values[field.name] = value or ({} if field.kind == "translations" else [])
        elif field.kind == "bool":
            values[field.name] = bool(value)
        else:
            values[field.name] = "" if value is None else value
    return values


def other_languages() -> list[str]:
    return [language for language in shipped() if language != SOURCE_LANGUAGE]


def choices(kind: str, *, offices: list[tuple[str, str]], categories: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(value, label) pairs of a choice field."""
    return {"offices": offices, "categories": categories,
            "levels": [(level.value, level.value) for level in OfficeLevel],
            "bases": [("business", "working hours of the office's calendar"), ("calendar", "every hour")],
            "languages": [(language, language) for language in shipped()]}[kind]


def plain(value: Any) -> str:
    """An audit value as people read it: text as it is, anything else as JSON (true, null, {"ne": "..."})."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def cell(value: Any) -> str:
    """A list column's text."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is None:
        return "—"
    return str(value)
