"""The management dashboard: one office's subtree, drilled down level by level, each table also as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from core.errors import NotFound
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import kpis
from dashboards.pages import render
from dashboards.signin import Staff, StaffDep
from intake import queries
from intake.access import subtree
from intake.models import Office
from surveys import results

router = APIRouter(prefix="/staff", include_in_schema=False)
TABLES = ("offices", "categories", "channels", "areas", "weeks")
Code = Annotated[str, Query(max_length=32)]
Weeks = Annotated[int, Query(ge=1, le=104)]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, staff: StaffDep, now: NowDep, settings: SettingsDep,
              office: Code = "", weeks: Weeks = 8) -> Response:
    node = office_in_view(session, staff, office)
    board = kpis.build(session, scope=staff.scope, node=node, now=now, weeks=weeks, min_count=settings.kpi_min_count)
    peak = max([count for _, count in board.weeks] + [1])
    surveyed = results.satisfaction(session, office_ids=offices_in_view(session, staff, node), since=board.since,
                                    until=now, min_count=settings.kpi_min_count, timezone=node.timezone)
    return render(request, "dashboard.html", staff, {"board": board, "weeks": weeks, "peak": peak,
                                                     "min_count": settings.kpi_min_count, "tables": TABLES,
                                                     "surveyed": surveyed})


@router.get("/dashboard.csv")
def dashboard_csv(session: SessionDep, staff: StaffDep, now: NowDep, settings: SettingsDep,
                  table: Annotated[str, Query(pattern="^(offices|categories|channels|areas|weeks)$")] = "offices",
                  office: Code = "", weeks: Weeks = 8) -> Response:
    node = office_in_view(session, staff, office)
    board = kpis.build(session, scope=staff.scope, node=node, now=now, weeks=weeks, min_count=settings.kpi_min_count)
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "weeks":
        writer.writerow(["week_starting", "received"])
        writer.writerows([(week.date().isoformat(), count) for week, count in board.weeks])
    else:
        rows = {"offices": board.children, "categories": board.categories, "channels": board.channels,
                "areas": board.areas}[table]
        writer.writerow(["code", "name", "received", "open", "overdue", "answered", "silence_median_hours",
                         "silence_p90_hours", "within_deadline_share", "resolved", "resolution_median_hours",
                         "escalations", "transfers_out", "transfer_median_hours", "published", "received_per_week"])
        for row in [*rows, board.total]:
            writer.writerow([row.key, row.name, row.received, row.open, row.overdue, row.answered,
                             _blank(row.silence_median), _blank(row.silence_p90), _blank(row.within_share),
                             row.resolved, _blank(row.resolution_median), row.escalations,
                             row.transfers_out, _blank(row.transfer_median), row.published,
                             ";".join(str(count) for count in row.weekly)])
    name = f"redress-{table}-{node.code}-{board.since.date().isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def office_in_view(session: SessionDep, staff: Staff, code: str) -> Office:
    """The office asked for, if the caller sees its work; by default their own office (or the top)."""
    if code:
        office = session.scalar(select(Office).where(Office.code == code.upper()))
    elif staff.scope.office_ids is not None:
        office = session.get(Office, staff.scope.office_id)
    else:
        office = queries.root_office(session)
    if office is None or (staff.scope.office_ids is not None and office.id not in staff.scope.office_ids):
        raise NotFound(f"no office {code!r} among those whose work you see")
    return office


def offices_in_view(session: SessionDep, staff: Staff, node: Office) -> frozenset[int]:
    """The node's subtree, less what the caller may not see."""
    inside = subtree(dict(session.execute(select(Office.id, Office.parent_id)).all()), node.id)
    return inside & staff.scope.office_ids if staff.scope.office_ids is not None else inside


def _blank(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
