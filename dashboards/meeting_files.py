"""The weekly meeting's pack as a file for `redress meeting-pack`: one self-contained HTML page, its JSON, or a PDF.

The three come from one built pack: the PDF is the HTML printed by WeasyPrint, and the JSON is the pack's
dataclass serialised generically, so a field added to `meeting.Pack` reaches the JSON with no code here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect as pyinspect
import io
import json
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from core.db import Base
from core.errors import DomainError, NotFound
from dashboards import meeting
from dashboards.meeting_page import page_context
from dashboards.models import ActionItem
from dashboards.pages import templates
from intake import queries
from intake.access import scope_for
from intake.models import Office, Role

FORMATS = ("html", "json", "pdf")
# ORM rows in a pack, as the few columns a reader needs (others: every column, by the generic rule)
SMALL: dict[type, tuple[str, ...]] = {
    Office: ("code", "name", "timezone"),
    ActionItem: ("id", "week", "text", "owner", "due_on", "status", "created_at", "created_by", "closed_at",
                 "closing_note"),
}
PDF_NEEDS = ("a PDF needs WeasyPrint and the system Pango library (Debian/Ubuntu: apt-get install libpango-1.0-0 "
             "libpangoft2-1.0-0; others: https://doc.courtbouillon.org/weasyprint/stable/first_steps.html); "
             "or write --format html")


class PdfUnavailable(DomainError):
    status = 503
    code = "pdf_unavailable"


def format_for(out: Path, given: str | None) -> str:
    """The format asked for, else the one the file's extension names (.json, .pdf), else HTML."""
    if given:
        return given
    suffix = out.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "html"


def pack_file(session: Session, *, office_code: str, week: str | None, now: datetime, fmt: str = "html",
              min_count: int = 5) -> tuple[meeting.Pack, bytes]:
    """The pack and its file. It is what a manager of that office sees: its whole subtree (at the top of the tree,
    the grievances still in triage too), integrity complaints left to oversight. No week: the last complete one."""
    if fmt not in FORMATS:
        raise DomainError(f"the format is one of {', '.join(FORMATS)}", field="format")
    node = queries.office_by_code(session, office_code) if office_code else queries.root_office(session)
    if node is None:
        raise NotFound(f"no office {office_code!r}; GET /api/v1/offices lists them")
    scope = scope_for(session, role=Role.MANAGER, office_id=node.id)
    built = meeting.build(session, scope=scope, office=node, now=now, min_count=min_count,
                          week=week or meeting.last_complete_week(now, timezone=node.timezone))
    if fmt == "json":
        return built, to_json(built).encode("utf-8")
    html = to_html(session, built)
    return built, (to_pdf(html) if fmt == "pdf" else html.encode("utf-8"))


def to_html(session: Session, built: meeting.Pack) -> str:
    """One page with its styles inline and no forms: it opens, prints and mails as it is."""
    css = (Path(__file__).parent / "static" / "staff.css").read_text(encoding="utf-8")
    return templates.get_template("meeting.html").render(
        **page_context(session, built, editable=False), staff=None, standalone=True, css=css)


def to_json(built: meeting.Pack) -> str:
    """Every figure and list of the pack; times in the office's timezone with their offset, dates as ISO 8601."""
    return json.dumps(plain(built, zone=ZoneInfo(built.office.timezone)), ensure_ascii=False, indent=2)


def plain(value: Any, *, zone: ZoneInfo) -> Any:  # noqa: ANN401 - any part of a pack
    """JSON-ready values from a pack's parts: dataclasses with their properties, named tuples as objects, ORM rows
    as small dicts (SMALL, or every column), enums by value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in dataclasses.fields(value)]
        names += [name for name, _ in pyinspect.getmembers(type(value), lambda m: isinstance(m, property))]
        return {name: plain(getattr(value, name), zone=zone) for name in names}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {name: plain(item, zone=zone) for name, item in value._asdict().items()}
    if isinstance(value, Base):
        names = SMALL.get(type(value)) or tuple(column.key for column in inspect(value).mapper.column_attrs)
        return {name: plain(getattr(value, name), zone=zone) for name in names}
    if isinstance(value, dict):
        return {str(key): plain(item, zone=zone) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item, zone=zone) for item in value]
    raise TypeError(f"the meeting pack cannot write a {type(value).__name__} as JSON")


def to_pdf(html: str) -> bytes:
    """The HTML printed to PDF by WeasyPrint (print styles, inline SVG charts). Without Pango, one clear error."""
    try:
        # WeasyPrint prints a banner to stdout before it raises; the error below says what to do in one line
        with contextlib.redirect_stdout(io.StringIO()):
            from weasyprint import HTML
    except (ImportError, OSError) as exc:
        cause = (str(exc).splitlines() or [""])[0]
        raise PdfUnavailable(f"{PDF_NEEDS} ({type(exc).__name__}: {cause})") from exc
    return HTML(string=html).write_pdf()
