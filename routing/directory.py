"""Load an office directory (offices, categories, staff) from a TOML file; re-running it updates in place."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from intake.accounts import hash_password, upsert_staff
from intake.models import Category, Office, OfficeLevel, Role

E = TypeVar("E", bound=StrEnum)


@dataclass
class Loaded:
    offices: int
    categories: int
    staff: list[tuple[str, str, str, str]]  # username, role, office code, display name


def load_file(session: Session, *, path: Path, now: datetime, staff_password: str | None = None) -> Loaded:
    """Read and load a directory file; staff get `staff_password` (staff are skipped when it is None)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"cannot read directory file {path.name}: {exc}") from exc
    return load(session, data=data, now=now, staff_password=staff_password)


def load(session: Session, *, data: dict[str, Any], now: datetime, staff_password: str | None) -> Loaded:
    categories = {c.code: c for c in session.scalars(select(Category))}
    for row in data.get("categories", []):
        code = _required(row, "code", "category").lower()
        category = categories.get(code) or Category(code=code)
        category.name = _required(row, "name", f"category {code}")
        category.description = str(row.get("description", ""))
        category.response_hours = int(row.get("response_hours", 72))
        category.resolution_hours = int(row.get("resolution_hours", 720))
        category.is_integrity = bool(row.get("integrity", False))
        categories[code] = category
        session.add(category)

    offices = {o.code: o for o in session.scalars(select(Office))}
    for row in data.get("offices", []):
        code = _required(row, "code", "office").upper()
        office = offices.get(code) or Office(code=code)
        office.name = _required(row, "name", f"office {code}")
        office.level = _choice(OfficeLevel, row.get("level", "office"), f"office {code} level")
        parent_code = row.get("parent")
        if parent_code is not None and parent_code not in offices:
            raise InvalidInput(f"office {code}: parent {parent_code!r} must be listed before it")
        office.parent = offices[parent_code] if parent_code else None
        office.jurisdiction = [str(area).upper() for area in row.get("jurisdiction", [])]
        office.timezone = _timezone(row.get("timezone", "UTC"), code)
        office.is_oversight = bool(row.get("oversight", False))
        office.is_integrity_unit = bool(row.get("integrity_unit", False))
        unknown = [c for c in row.get("categories", []) if c not in categories]
        if unknown:
            raise InvalidInput(f"office {code}: unknown categories {unknown}")
        office.categories = [categories[c] for c in row.get("categories", [])]
        offices[code] = office
        session.add(office)
    session.flush()

    staff: list[tuple[str, str, str, str]] = []
    # One hash serves every account loaded here: they share the one password the loader was given.
    password_hash = hash_password(staff_password) if staff_password is not None else ""
    for row in data.get("staff", []) if staff_password is not None else []:
        username = _required(row, "username", "staff").lower()
        office_code = _required(row, "office", f"staff {username}").upper()
        if office_code not in offices:
            raise InvalidInput(f"staff {username}: unknown office {office_code}")
        role = _choice(Role, row.get("role", "officer"), f"staff {username} role")
        name = _required(row, "name", f"staff {username}")
        upsert_staff(session, username=username, display_name=name, role=role, office=offices[office_code],
                     password_hash=password_hash, now=now)
        staff.append((username, role.value, office_code, name))
    session.flush()
    return Loaded(offices=len(offices), categories=len(categories), staff=staff)


def _required(row: dict[str, Any], key: str, what: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what}: '{key}' is required")
    return value.strip()


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
