"""Each entry of a directory file brought to normal form (its defaults filled in, codes in their case) with every
problem it has remembered, so one run reports them all."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput
from core.i18n import SOURCE_LANGUAGE, shipped
from directory.format import CONTROL, Entry, Key, Problem, key_of, label
from escalation.calendar import CalendarError, WorkingCalendar
from escalation.models import WARN_FRACTION, Basis
from intake.models import OfficeLevel
from routing.rules import compile_rule

PLACEHOLDER = re.compile(r"\{(\w*)\}")
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


class Checker:
    """Normalises one entry at a time and remembers every problem, so one run reports them all."""

    def __init__(self, text: str | None) -> None:
        self.problems: list[Problem] = []
        self.where = "file"
        self.located: dict[tuple[str, Key], str] = {}  # where each entry is: "line 42, office RV-N"
        self.languages = set(shipped()) - {SOURCE_LANGUAGE}
        self.text = text

    def at(self, where: str) -> None:
        self.where = where

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def fail(self, message: str) -> None:
        self.problem(self.where, message)

    # -- one entry -------------------------------------------------------------------------------------

    def entry(self, section: str, row: dict[str, Any]) -> Entry:
        before = len(self.problems)
        self._control(row, section)
        entry = getattr(self, f"_{section}")(row)
        if section in ("sla", "replies") or entry.get("code") or entry.get("name"):
            named = label(section, key_of(section, entry))
            self.where = f"{self.where}, {named}" if self.where.startswith("line ") else named
            self.problems[before:] = [Problem(self.where, p.message) for p in self.problems[before:]]
        return entry

    def _control(self, value: Any, key: str) -> None:
        if isinstance(value, str) and (CONTROL.search(value) or len(value) > 5000):
            self.fail(f"'{key}' holds a control character or is too long")
        elif isinstance(value, dict):
            for k, v in value.items():
                self._control(v, k)
        elif isinstance(value, list):
            for item in value:
                self._control(item, key)

    def _common(self, row: dict[str, Any], allowed: set[str]) -> bool:
        unknown = sorted(set(row) - allowed - {"retired", "successor"})
        if unknown:
            self.fail(f"unknown keys {unknown}")
        retired = row.get("retired", False)
        if not isinstance(retired, bool):
            self.fail("'retired' must be true or false")
            return False
        return retired

    def _code(self, row: dict[str, Any], *, upper: bool) -> str:
        code = row.get("code")
        if not isinstance(code, str) or not CODE.fullmatch(code.strip()):
            self.fail("'code' is required: 1 to 32 letters, digits, '-', '_' or '.'")
            return ""
        return code.strip().upper() if upper else code.strip().lower()

    def _text(self, row: dict[str, Any], key: str, *, required: bool = True, limit: int = 200) -> str:
        value = row.get(key, "" if not required else None)
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(f"'{key}' is required text")
            return ""
        if len(value.strip()) > limit:
            self.fail(f"'{key}' is longer than {limit} characters")
        return value.strip()

    def _translations(self, row: dict[str, Any]) -> dict[str, str]:
        value = row.get("translations", {})
        if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
            self.fail("'translations' must be a table of names by language, such as { ne = \"...\" }")
            return {}
        for language in value:
            if language not in self.languages:
                supported = ", ".join(sorted(self.languages)) or "none"
                self.fail(f"language {language!r} is not supported (other languages shipped: {supported}; "
                          f"'name' is the {SOURCE_LANGUAGE} one)")
        return {language: text.strip()[:200] for language, text in sorted(value.items())}

    def _codes(self, row: dict[str, Any], key: str, *, upper: bool) -> list[str]:
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            self.fail(f"'{key}' must be a list of codes, such as [\"RV-N\"]")
            return []
        codes = [item.strip().upper() if upper else item.strip().lower() for item in value]
        return list(dict.fromkeys(codes))

    def _bool(self, row: dict[str, Any], key: str) -> bool:
        value = row.get(key, False)
        if not isinstance(value, bool):
            self.fail(f"'{key}' must be true or false")
            return False
        return value

    def _number(self, row: dict[str, Any], key: str, *, default: float | None, low: float, high: float,
                whole: bool = False, low_open: bool = True) -> Any:
        value = row.get(key, default)
        if value is None:
            return None
        kind = "whole number" if whole else "number"
        if (isinstance(value, bool) or not isinstance(value, int | float) or (whole and not isinstance(value, int))
                or not (low < value if low_open else low <= value) or value > high):
            bound = f"above {low:g}" if low_open else f"from {low:g}"
            self.fail(f"'{key}' must be a {kind} {bound} to {high:g}")
            return default
        return value if whole else float(value)

    def _successor(self, row: dict[str, Any], retired: bool, *, upper: bool) -> str | None:
        successor = row.get("successor")
        if successor is None:
            return None
        if not isinstance(successor, str) or not successor.strip():
            self.fail("'successor' must be the code of an entry that takes over")
            return None
        if not retired:
            self.fail("'successor' is only for an entry with retired = true")
        return successor.strip().upper() if upper else successor.strip().lower()

    def _categories(self, row: dict[str, Any]) -> Entry:
        retired = self._common(row, {"code", "name", "translations", "description", "response_hours",
                                     "resolution_hours", "integrity", "route_threshold", "questions"})
        entry = {"code": self._code(row, upper=False), "name": self._text(row, "name"),
                 "translations": self._translations(row),
                 "description": self._text(row, "description", required=False, limit=1000),
                 "response_hours": self._number(row, "response_hours", default=72, low=1, high=8784, whole=True,
                                                low_open=False),
                 "resolution_hours": self._number(row, "resolution_hours", default=720, low=1, high=8784,
                                                  whole=True, low_open=False),
                 "integrity": self._bool(row, "integrity"),
                 "route_threshold": self._number(row, "route_threshold", default=None, low=0, high=1),
                 "questions": self.questions(row.get("questions", [])), "retired": retired}
        entry["successor"] = self._successor(row, retired, upper=False)
        return entry

    def questions(self, rows: Any) -> list[Entry]:
        """A category's extra questions: a code, a description, a datatype, and the choices of a list."""
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            self.fail("'questions' must be a list of tables")
            return []
        out, seen = [], set()
        for order, row in enumerate(rows, start=1):
            code = row.get("code")
            if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", code) or code in seen:
                self.fail(f"question {order}: 'code' must be unique letters, digits, _ . -")
                continue
            seen.add(code)
            datatype = row.get("datatype", "string")
            if datatype not in DATATYPES:
                self.fail(f"question {code}: datatype is one of {', '.join(DATATYPES)}")
                continue
            values = row.get("values", [])
            listed = datatype.endswith("valuelist")
            if listed and not (isinstance(values, list) and values and all(
                    isinstance(v, dict) and isinstance(v.get("key"), str) and isinstance(v.get("name"), str)
                    and v["key"] and v["name"] for v in values)):
                self.fail(f"question {code}: a list question needs values with a key and a name")
                continue
            description = row.get("description")
            if not isinstance(description, str) or not description.strip():
                self.fail(f"question {code}: 'description' is required text")
                continue
            out.append({"code": code, "description": description.strip()[:1000], "datatype": datatype,
                        "required": row.get("required") is True, "order": order,
                        "values": [{"key": v["key"], "name": v["name"]} for v in values] if listed else []})
        return out

    def _offices(self, row: dict[str, Any]) -> Entry:
        retired = self._common(row, {"code", "name", "translations", "level", "parent", "jurisdiction",
                                     "timezone", "oversight", "integrity_unit", "categories"})
        level = row.get("level", "office")
        if level not in {lv.value for lv in OfficeLevel}:
            self.fail(f"'level' {level!r} is not one of {[lv.value for lv in OfficeLevel]}")
        parent = row.get("parent")
        if parent is not None and (not isinstance(parent, str) or not parent.strip()):
            self.fail("'parent' must be an office code")
            parent = None
        entry = {"code": self._code(row, upper=True), "name": self._text(row, "name"),
                 "translations": self._translations(row), "level": level,
                 "parent": parent.strip().upper() if parent else None,
                 "jurisdiction": self._codes(row, "jurisdiction", upper=True),
                 "timezone": self._timezone(row.get("timezone", "UTC")),
                 "oversight": self._bool(row, "oversight"), "integrity_unit": self._bool(row, "integrity_unit"),
                 "categories": sorted(self._codes(row, "categories", upper=False)), "retired": retired}
        entry["successor"] = self._successor(row, retired, upper=True)
        return entry

    def _timezone(self, name: Any) -> str:
        try:
            ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(f"unknown timezone {name!r}; use a name such as Asia/Kathmandu")
        return str(name)

    def _areas(self, row: dict[str, Any]) -> Entry:
        retired = self._common(row, {"code", "names", "translations"})
        names = row.get("names")
        if (not isinstance(names, list) or not names
                or not all(isinstance(n, str) and n.strip() and len(n) <= 100 for n in names)):
            self.fail("'names' must list 1 or more place names of at most 100 characters (the first is shown)")
            names = []
        if row.get("successor") is not None:
            self.fail("'successor' is for offices and categories")
        return {"code": self._code(row, upper=True), "names": list(dict.fromkeys(n.strip() for n in names)),
                "translations": self._translations(row), "retired": retired}

    def _calendars(self, row: dict[str, Any]) -> Entry:
        retired = self._common(row, {"code", "name", "timezone", "week", "holidays", "offices"})
        code = self._code(row, upper=True)
        holidays = self._holidays(row.get("holidays", []))
        week = row.get("week")
        timezone = self._timezone(row.get("timezone", ""))
        if not isinstance(week, dict):
            self.fail("'week' must be a table such as { mon = [\"09:00-17:00\"] }")
            week = {}
        else:
            try:
                WorkingCalendar.parse(timezone=timezone, week=week, holidays=[h["day"] for h in holidays])
            except (CalendarError, TypeError, ValueError) as exc:
                self.fail(str(exc))
        return {"code": code, "name": self._text(row, "name", required=False) or code, "timezone": timezone,
                "week": {day: list(spans) for day, spans in sorted(week.items()) if spans},
                "holidays": holidays, "offices": sorted(self._codes(row, "offices", upper=True)), "retired": retired}

    def _holidays(self, rows: Any) -> list[Entry]:
        if not isinstance(rows, list):
            self.fail("'holidays' must be a list such as [{ day = 2026-12-25, name = \"...\" }]")
            return []
        found: dict[date, str] = {}
        for row in rows:
            day = row.get("day") if isinstance(row, dict) else None
            if not isinstance(day, date) or isinstance(day, datetime):
                self.fail(f"holiday {day!r} is not a date: it must be written as a date, e.g. 2026-12-25 (no quotes)")
                continue
            name = row.get("name", "holiday")
            found[day] = name.strip()[:200] if isinstance(name, str) and name.strip() else "holiday"
        return [{"day": day, "name": name} for day, name in sorted(found.items())]

    def _sla(self, row: dict[str, Any]) -> Entry:
        retired = self._common(row, {"category", "office", "first_response_hours", "resolution_hours",
                                     "transfer_hours", "escalation_hours", "basis", "warn_fraction"})
        basis = row.get("basis", Basis.BUSINESS.value)
        if basis not in {b.value for b in Basis}:
            self.fail("'basis' must be business or calendar")
        hours = {key: self._number(row, key, default=None if key == "transfer_hours" else 0.0, low=0, high=8784)
                 for key in ("first_response_hours", "resolution_hours", "transfer_hours", "escalation_hours")}
        for key in ("first_response_hours", "resolution_hours", "escalation_hours"):
            if key not in row:
                self.fail(f"'{key}' is required: a number of hours above 0")
        category, office = row.get("category"), row.get("office")
        for name, value in (("category", category), ("office", office)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                self.fail(f"'{name}' must be a code; leave it out for every {name}")
        if row.get("successor") is not None:
            self.fail("'successor' is for offices and categories")
        warn = row.get("warn_fraction", WARN_FRACTION)
        if isinstance(warn, bool) or not isinstance(warn, int | float) or not 0 <= warn < 1:
            self.fail("'warn_fraction' must be a share of the time from 0 (no warning) to below 1")
            warn = WARN_FRACTION
        return {"category": category.strip().lower() if isinstance(category, str) else None,
                "office": office.strip().upper() if isinstance(office, str) else None, **hours, "basis": basis,
                "warn_fraction": float(warn), "retired": retired}

    def _rules(self, row: dict[str, Any]) -> Entry:
        retired = self._common(row, {"name", "pattern", "regex", "category", "office", "priority"})
        name = self._text(row, "name", limit=100)
        pattern = self._text(row, "pattern", limit=300)
        regex = self._bool(row, "regex")
        if pattern:
            try:
                compile_rule(pattern, is_regex=regex)
            except InvalidInput as exc:
                self.fail(exc.message)
        category, office = row.get("category"), row.get("office")
        if category is None and office is None:
            self.fail("name a category, an office or both")
        priority = row.get("priority", 100)
        if not isinstance(priority, int) or isinstance(priority, bool):
            self.fail("'priority' must be a whole number (lower wins)")
        return {"name": name, "pattern": pattern, "regex": regex,
                "category": str(category).strip().lower() if category is not None else None,
                "office": str(office).strip().upper() if office is not None else None,
                "priority": priority, "retired": retired}

    def _replies(self, row: dict[str, Any]) -> Entry:
        retired = self._common(row, {"category", "language", "title", "text"})
        language = self._text(row, "language", limit=16).lower()
        if language and language not in shipped():
            self.fail(f"language {language!r} is not supported (shipped: {', '.join(shipped())})")
        text = self._text(row, "text", limit=1000)
        unknown = set(PLACEHOLDER.findall(text)) - {"tracking", "office"}
        if unknown:
            self.fail(f"only {{tracking}} and {{office}} can be filled in, not {sorted(unknown)}")
        category = row.get("category")
        return {"category": str(category).strip().lower() if category is not None else None, "language": language,
                "title": self._text(row, "title", limit=100), "text": text, "retired": retired}
