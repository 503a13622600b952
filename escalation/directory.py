"""Load a whole directory file: routing's part (categories, offices, rules, areas, staff), then calendars and SLAs.

```toml
[[calendars]]
code = "NP-GOV"
timezone = "Asia/Kathmandu"
week = { sun = ["10:00-17:00"], mon = ["10:00-17:00"], fri = ["10:00-15:00"] }
holidays = [{ day = 2026-12-25, name = "Christmas" }]
offices = ["RV"]                      # and every office below them that names no calendar of its own

[[sla]]
category = "water"                     # omit for the default of every category
office = "RV-N-WATER"                  # omit for every office
first_response_hours = 8
resolution_hours = 40
transfer_hours = 4                     # omit: no transfer deadline
escalation_hours = 8                   # how long each level of the ladder gets
basis = "business"                     # or "calendar"
```
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from escalation.calendar import CalendarError, WorkingCalendar
from escalation.models import WARN_FRACTION, Basis, Calendar, Holiday, OfficeCalendar, SlaPolicy
from intake.models import Category, Office
from routing import directory as routing_directory


def load_file(session: Session, *, path: Path, now: datetime, staff_password: str | None = None) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"cannot read directory file {path.name}: {exc}") from exc
    load(session, data=data, now=now, staff_password=staff_password)


def load(session: Session, *, data: dict[str, Any], now: datetime, staff_password: str | None) -> None:
    """Everything or nothing: any error names the row, and the caller's transaction is rolled back."""
    routing_directory.load(session, data=data, now=now, staff_password=staff_password)
    offices = {o.code: o for o in session.scalars(select(Office))}
    categories = {c.code: c for c in session.scalars(select(Category))}
    _load_calendars(session, _rows(data, "calendars"), offices)
    _load_slas(session, _rows(data, "sla"), offices, categories)
    session.flush()


def _rows(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = data.get(key, [])
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InvalidInput(f"'{key}' must be a list of tables: write each as [[{key}]]")
    return rows


def _load_calendars(session: Session, rows: list[dict[str, Any]], offices: dict[str, Office]) -> None:
    calendars = {c.code: c for c in session.scalars(select(Calendar))}
    for row in rows:
        code = str(row.get("code", "")).strip().upper()
        if not code or len(code) > 32:
            raise InvalidInput("a calendar needs a 'code' of 1 to 32 characters")
        what = f"calendar {code}"
        holidays = _holidays(row.get("holidays", []), what)
        week = row.get("week")
        if not isinstance(week, dict):
            raise InvalidInput(f"{what}: 'week' must be a table such as {{ mon = [\"09:00-17:00\"] }}")
        try:
            WorkingCalendar.parse(timezone=str(row.get("timezone", "")), week=week,
                                  holidays=[day for day, _ in holidays])
        except CalendarError as exc:
            raise InvalidInput(f"{what}: {exc}") from exc
        calendar = calendars.get(code) or Calendar(code=code)
        calendar.name = str(row.get("name", code))[:200]
        calendar.timezone = str(row["timezone"])
        calendar.week = {day: list(spans) for day, spans in week.items()}
        calendar.holidays = [Holiday(day=day, name=name) for day, name in holidays]
        calendars[code] = calendar
        session.add(calendar)
        session.flush()
        for office_code in row.get("offices", []):
            office = offices.get(str(office_code).upper())
            if office is None:
                raise InvalidInput(f"{what}: unknown office {office_code!r}")
            link = session.get(OfficeCalendar, office.id) or OfficeCalendar(office_id=office.id)
            link.calendar_id = calendar.id
            session.add(link)


def _holidays(rows: object, what: str) -> list[tuple[date, str]]:
    if not isinstance(rows, list):
        raise InvalidInput(f"{what}: 'holidays' must be a list such as [{{ day = 2026-12-25, name = \"...\" }}]")
    found: dict[date, str] = {}
    for row in rows:
        day = row.get("day") if isinstance(row, dict) else None
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidInput(f"{what}: each holiday needs a 'day' written as a date, e.g. 2026-12-25")
        found[day] = str(row.get("name", "holiday"))[:200]
    return sorted(found.items())


def _load_slas(session: Session, rows: list[dict[str, Any]], offices: dict[str, Office],
               categories: dict[str, Category]) -> None:
    existing = {(p.category_id, p.office_id): p for p in session.scalars(select(SlaPolicy))}
    for row in rows:
        category_code, office_code = row.get("category"), row.get("office")
        what = f"sla {category_code or '*'}/{office_code or '*'}"
        category = categories.get(str(category_code).lower()) if category_code else None
        office = offices.get(str(office_code).upper()) if office_code else None
        if category_code and category is None:
            raise InvalidInput(f"{what}: unknown category {category_code!r}")
        if office_code and office is None:
            raise InvalidInput(f"{what}: unknown office {office_code!r}")
        key = (category.id if category else None, office.id if office else None)
        policy = existing.get(key) or SlaPolicy(category_id=key[0], office_id=key[1])
        policy.first_response_hours = _hours(row, "first_response_hours", what)
        policy.resolution_hours = _hours(row, "resolution_hours", what)
        policy.transfer_hours = _hours(row, "transfer_hours", what) if "transfer_hours" in row else None
        policy.escalation_hours = _hours(row, "escalation_hours", what)
        try:
            policy.basis = Basis(row.get("basis", "business"))
        except ValueError as exc:
            raise InvalidInput(f"{what}: 'basis' must be business or calendar") from exc
        policy.warn_fraction = _fraction(row, "warn_fraction", what)
        existing[key] = policy
        session.add(policy)


def _hours(row: dict[str, Any], key: str, what: str) -> float:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 24 * 366:
        raise InvalidInput(f"{what}: '{key}' must be a number of hours above 0")
    return float(value)


def _fraction(row: dict[str, Any], key: str, what: str) -> float:
    value = row.get(key, WARN_FRACTION)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise InvalidInput(f"{what}: '{key}' must be a share of the time from 0 (no warning) to below 1")
    return float(value)
