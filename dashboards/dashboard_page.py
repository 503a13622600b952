"""The management dashboard: one office's subtree, drilled down level by level, each table also as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from core.web import NowDep, SessionDep, SettingsDep
from dashboards import figures, kpis
from dashboards.pages import render
from dashboards.signin import Staff, StaffDep
from intake.access import subtree
from intake.models import Office
from surveys import results

router = APIRouter(prefix="/staff", include_in_schema=False)
TABLES = ("offices", "categories", "channels", "areas", "weeks")
Code = Annotated[str, Query(max_length=32)]
Weeks = Annotated[int, Query(ge=1, le=104)]
COLUMNS = ("received", "open", "overdue", "silence_median_hours", "silence_p90_hours", "within_deadline_share",
           "resolution_median_hours", "escalations", "transfers_out", "satisfaction_mean")  # of figures.FIGURES


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
                                                     "surveyed": surveyed, "figures": figures.BY_CODE, "now": now,
                                                     "columns": COLUMNS})


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
        writer.writerow(["code", "name", *figures.CODES, "published", "received_per_week"])
        for row in [*rows, board.total]:
            writer.writerow([row.key, row.name, *(_blank(row.figures[code]) for code in figures.CODES),
                             row.published, ";".join(str(count) for count in board.weekly(row))])
    name = f"redress-{table}-{node.code}-{board.since.date().isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/figures", response_class=HTMLResponse)
def definitions(request: Request, staff: StaffDep) -> Response:
    """What every figure means (the registry docs/kpis.md is written from)."""
    return render(request, "figures_page.html", staff, {"figures": figures.FIGURES})


def office_in_view(session: SessionDep, staff: Staff, code: str) -> Office:
    """The office asked for, if the caller sees its work; by default their own office (or the top)."""
    return kpis.node_in_view(session, scope=staff.scope, code=code)


def offices_in_view(session: SessionDep, staff: Staff, node: Office) -> frozenset[int]:
    """The node's subtree, less what the caller may not see."""
    inside = subtree(dict(session.execute(select(Office.id, Office.parent_id)).all()), node.id)
    return inside & staff.scope.office_ids if staff.scope.office_ids is not None else inside


def _blank(value: float | None) -> str:
    """A withheld figure is an empty cell; a number as the API and open data write it."""
    return "" if value is None else str(value)
