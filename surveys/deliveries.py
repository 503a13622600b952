"""Service deliveries reported by offices, from the API or a CSV file: every row checked, all or nothing.

A delivery is known by the office's own reference: the same reference again is a duplicate and is
not stored twice. A file with any bad row imports nothing and gets a report with line numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import bulk_insert
from core.errors import DomainError, InvalidInput
from intake.models import Office
from intake.normalise import phone_e164
from surveys.models import ServiceDelivery

COLUMNS = ("phone", "office", "service", "delivered_at", "reference")
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,63}")
SERVICE = re.compile(r"[a-z0-9][a-z0-9_ .-]{0,63}")
MAX_AGE = timedelta(days=60)  # older services are not worth asking about
MAX_ROWS = 1_000_000
CHUNK = 5_000


@dataclass(frozen=True)
class Problem:
    line: int  # the CSV line, or the item's position in an API request (from 1)
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class Report:
    created: int = 0
    duplicates: list[str] = field(default_factory=list)  # references already known
    problems: list[Problem] = field(default_factory=list)


class BadDeliveries(InvalidInput):
    """Some rows are wrong: nothing was stored. `problems` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        shown = "; ".join(str(p) for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s), nothing was imported: {shown}{more}")
        self.problems = problems


@dataclass(frozen=True)
class Context:
    offices: dict[str, int]  # active office code → id
    region: str
    timezone: str
    now: datetime

    @classmethod
    def load(cls, session: Session, *, region: str, timezone: str, now: datetime) -> Context:
        offices = dict(session.execute(select(Office.code, Office.id).where(Office.active)).all())
        return cls(offices=offices, region=region, timezone=timezone, now=now)


def check(line: int, raw: dict[str, str | None], context: Context,
          problems: list[Problem]) -> dict[str, object] | None:
    """One row as a ready-to-insert dict, or None with its problems added."""
    before = len(problems)

    def text(name: str) -> str:
        value = raw.get(name)
        return value.strip() if isinstance(value, str) else ""

    reference = text("reference")
    if not REFERENCE.fullmatch(reference):
        problems.append(Problem(line, "reference", "required: 1 to 64 letters, digits or . _ / : -"))
    phone = None
    try:
        phone = phone_e164(text("phone"), region=context.region) if text("phone") else None
        if phone is None:
            problems.append(Problem(line, "phone", "required"))
    except DomainError as exc:
        problems.append(Problem(line, "phone", exc.message))
    office_id = context.offices.get(text("office").upper())
    if office_id is None:
        problems.append(Problem(line, "office", f"unknown office {text('office')[:32]!r}; use a code from "
                                                "GET /api/v1/offices"))
    service = " ".join(text("service").lower().split())
    if not SERVICE.fullmatch(service):
        problems.append(Problem(line, "service", "required: a short code such as new_connection"))
    delivered = _instant(text("delivered_at"), context, line, problems)
    if len(problems) > before:
        return None
    return {"reference": reference, "phone": phone, "office_id": office_id, "service": service,
            "delivered_at": delivered, "created_at": context.now}


def _instant(value: str, context: Context, line: int, problems: list[Problem]) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems.append(Problem(line, "delivered_at", "required: a date and time such as 2026-11-20T14:30 "
                                                      "(local time) or 2026-11-20T08:45Z"))
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(context.timezone))
    parsed = parsed.astimezone(context.now.tzinfo)
    if parsed > context.now + timedelta(minutes=5):
        problems.append(Problem(line, "delivered_at", "is in the future"))
    elif parsed < context.now - MAX_AGE:
        problems.append(Problem(line, "delivered_at", f"is more than {MAX_AGE.days} days ago"))
    return parsed


def delivery_day(*, delivered_at: datetime, timezone: str) -> date:
    """The day the office served the citizen by the office's clock: what a citizen remembers, not UTC's day."""
    return delivered_at.astimezone(ZoneInfo(timezone)).date()


def store(session: Session, rows: Iterable[tuple[int, dict[str, str | None]]], *, context: Context, source: str,
          progress: Callable[[int], None] | None = None) -> Report:
    """Check every row, then store the new ones in one go; any problem stores nothing (BadDeliveries)."""
    problems: list[Problem] = []
    ready: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for count, (line, raw) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            problems.append(Problem(line, "file", f"more than {MAX_ROWS:,} rows; split the file"))
            break
        row = check(line, raw, context, problems)
        if row is not None:
            first = seen.setdefault(str(row["reference"]), line)
            if first != line:
                problems.append(Problem(line, "reference", f"{row['reference']!r} is also on line {first}"))
            else:
                ready.append(row | {"source": source})
        if progress and count % 10_000 == 0:
            progress(count)
    if problems:
        raise BadDeliveries(problems)
    report = Report()
    known: set[str] = set()
    references = [str(r["reference"]) for r in ready]
    for start in range(0, len(references), CHUNK):
        known |= set(session.scalars(select(ServiceDelivery.reference).where(
            ServiceDelivery.reference.in_(references[start:start + CHUNK]))))
    new = [r for r in ready if r["reference"] not in known]
    bulk_insert(session, ServiceDelivery.__table__, new)
    report.created = len(new)
    report.duplicates = sorted(known)
    return report


def csv_rows(path: Path) -> Iterable[tuple[int, dict[str, str | None]]]:
    """The file's rows with their line numbers; its header must name every column."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise InvalidInput(f"{path.name}: line 1: the header lacks {', '.join(missing)} (it needs "
                                   f"{', '.join(COLUMNS)})")
            reader.fieldnames = header
            for raw in reader:
                yield reader.line_num, {k: v for k, v in raw.items() if k is not None}
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInput(f"{path.name}: not a UTF-8 CSV file ({type(exc).__name__})") from exc

