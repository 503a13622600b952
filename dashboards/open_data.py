"""Open data: the public figures per office and per category, and a de-identified grievance feed, as CSV or JSON.

Field by field in docs/open-data.md. The feed has no names, phones, texts, exact places or exact times:
a grievance is its tracking number, the day it came, its kind, office, channel, district-level area,
state and how long the citizen waited. Integrity grievances are left out entirely.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from core.errors import NotFound
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import public
from intake.models import ESCALATION_STEPS, Category, Grievance, GrievanceEvent, Office, Status

router = APIRouter(prefix="/open-data", tags=["open data"])
Days = Annotated[int, Query(ge=1, le=366, description="The period: grievances received in the last N days")]
FEED_FIELDS = ("reference", "received_on", "category", "office", "channel", "area", "status",
               "first_response_hours", "resolution_hours", "escalated")
MAX_FEED = 200_000


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index() -> HTMLResponse:
    """The files, for a person who opens /open-data/ (docs/open-data.md says what each field means)."""
    links = "".join(f'<li><a href="/open-data/{table}.{fmt}">{table}.{fmt}</a></li>'
                    for table in ("offices", "categories", "grievances") for fmt in ("csv", "json"))
    return HTMLResponse('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Open data</title></head>'
                        f"<body><h1>Open data</h1><p>The last 90 days; add ?days=N (1 to 366).</p><ul>{links}</ul>"
                        '<p><a href="/public">Public figures</a></p></body></html>')


@router.get("/{table}.{fmt}")
def download(table: Annotated[str, Path(max_length=16)], fmt: Annotated[str, Path(max_length=8)],
             session: SessionDep, now: NowDep, settings: SettingsDep, days: Days = 90) -> Response:
    """offices, categories or grievances; csv or json."""
    if table not in ("offices", "categories", "grievances") or fmt not in ("csv", "json"):
        raise NotFound("open data: /open-data/{offices|categories|grievances}.{csv|json}")
    since = public.period(now, days)
    if table == "grievances":
        rows = feed(session, since=since)
        fields = FEED_FIELDS
    else:
        by = "office" if table == "offices" else "category"
        rows = [public.fields(row) for row in public.league(session, by=by, since=since, now=now,
                                                            min_count=settings.kpi_min_count)]
        fields = public.CODES
    name = f"redress-{table}-{now.date().isoformat()}-{days}d.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        return Response(json.dumps({"since": since.isoformat(), "until": now.isoformat(),
                                    "min_count": settings.kpi_min_count, "rows": rows}, ensure_ascii=False),
                        media_type="application/json", headers=headers)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def feed(session: SessionDep, *, since: Any) -> list[dict[str, Any]]:
    """One de-identified row per grievance received since `since`, oldest first."""
    escalated = set(session.scalars(select(GrievanceEvent.grievance_id).join(Grievance)
                                    .where(ESCALATION_STEPS, Grievance.received_at >= since, public.PUBLIC)
                                    .distinct()))
    rows = session.execute(
        select(Grievance.id, Grievance.tracking_number, Grievance.received_at, Category.code, Office.code,
               Grievance.channel, Grievance.admin_area, Grievance.status, Grievance.first_response_at,
               Grievance.resolved_at)
        .outerjoin(Category, Category.id == Grievance.category_id).outerjoin(Office, Office.id == Grievance.office_id)
        .where(Grievance.received_at >= since, public.PUBLIC, Grievance.tracking_number.is_not(None))
        .order_by(Grievance.received_at).limit(MAX_FEED))
    out = []
    for gid, number, received, category, office, channel, area, status, answered, resolved in rows:
        out.append({"reference": number, "received_on": received.date().isoformat(), "category": category,
                    "office": office, "channel": channel.value, "area": coarse(area),
                    "status": "closed" if status in (Status.RESOLVED, Status.CLOSED) else "open",
                    "first_response_hours": _hours(received, answered), "resolution_hours": _hours(received, resolved),
                    "escalated": gid in escalated})
    return out


def coarse(area: str | None) -> str | None:
    """District level at most ('RV-N-3' → 'RV-N'): a ward can be a handful of households."""
    return "-".join(area.split("-")[:2]) if area else None


def _hours(start: Any, end: Any) -> float | None:
    return round((end - start).total_seconds() / 3600, 1) if end is not None else None
