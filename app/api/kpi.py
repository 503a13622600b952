"""KPIs over the grievances the caller may see: every figure of the registry, by office, category, channel or area.

The figures are those of the staff dashboard, the meeting pack, the public pages and the open-data files
(`dashboards.figures`, docs/kpis.md), counted the same way, so a script reading this API gets the numbers a
manager sees.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.deps import PrincipalDep
from core.errors import InvalidInput
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import counts, kpis
from dashboards.figures import Value

router = APIRouter(prefix="/api/v1/kpi", tags=["kpi"])
Moment = Annotated[datetime | None, Query(description="ISO 8601 with a time zone, e.g. 2026-11-01T00:00:00Z")]


class KpiItem(BaseModel):
    key: str = Field(description="Office or category code, channel, or area code; \"\" for not placed / not given")
    name: str
    published: bool = Field(description="False below the minimum count: times and shares are withheld (null)")
    figures: dict[str, Value] = Field(description="Every figure of docs/kpis.md by its code")


class KpiPage(BaseModel):
    by: str
    office: str = Field(description="The office whose subtree is counted")
    since: datetime
    until: datetime
    min_count: int
    items: list[KpiItem] = Field(description="By office: the office's own work and each child office with "
                                             "everything under it; otherwise one item per category, channel or area")
    totals: dict[str, Value] = Field(description="The whole subtree; counts in the items add up to these")


@router.get("", response_model=KpiPage)
def kpi(session: SessionDep, principal: PrincipalDep, now: NowDep, settings: SettingsDep,
        by: Literal["office", "category", "channel", "area"] = "office",
        since: Annotated[datetime | None, Query(description="Default: 90 days before `until`")] = None,
        until: Annotated[datetime | None, Query(description="Default: now")] = None,
        office: Annotated[str, Query(max_length=32, description="An office code; default: the top of "
                                                                 "what the key sees")] = "") -> KpiPage:
    """Every registry figure for grievances received in [since, until) and events in it, per row and in total."""
    until = _aware(until, "until") or now
    since = _aware(since, "since") or until - timedelta(days=90)
    if since >= until:
        raise InvalidInput("since must be before until", field="since")
    node = kpis.node_in_view(session, scope=principal.scope, code=office)
    inside, integrity, unplaced = kpis.view(session, scope=principal.scope, node=node)
    counted = counts.count(session, offices=inside, integrity=integrity, unplaced=unplaced, since=since,
                           until=until, now=now)
    rows = (kpis.drill_down(session, counted, node=node, inside=inside, min_count=settings.kpi_min_count)
            if by == "office" else counts.rows(session, counted, by=by, min_count=settings.kpi_min_count))
    return KpiPage(by=by, office=node.code, since=since, until=until, min_count=settings.kpi_min_count,
                   items=[KpiItem(key=r.key, name=r.name, published=r.published, figures=r.figures)
                          for r in sorted(rows, key=lambda r: r.key)],
                   totals=counts.total(counted, min_count=settings.kpi_min_count).figures)


class SilenceOut(BaseModel):
    key: str = Field(description="Office or category code")
    name: str
    count: int = Field(description="Grievances received in the period")
    answered: int
    silence_median_hours: float | None = Field(description="Received → first public response, in hours; an "
                                                           "unanswered grievance counts with its silence so far")
    silence_p90_hours: float | None
    within_deadline_share: float | None = Field(description="Share whose first-response deadline was met in time")
    resolved: int
    resolution_median_hours: float | None
    resolution_p90_hours: float | None
    published: bool = Field(description="False below the minimum count: no figures are given")


class SilencePage(BaseModel):
    by: str
    since: datetime
    min_count: int
    rows: list[SilenceOut]


@router.get("/silence", response_model=SilencePage)
def silence_kpi(session: SessionDep, principal: PrincipalDep, now: NowDep, settings: SettingsDep,
                by: Literal["office", "category"] = "office",
                since: Annotated[datetime | None, Query(description="Default: 90 days ago")] = None) -> SilencePage:
    """Measuring silence: how long citizens waited for any answer, per office (its own work) or category,
    worst first. The same figures as `GET /api/v1/kpi`, kept in this shape for existing scripts."""
    since = _aware(since, "since") or now - timedelta(days=90)
    node = kpis.node_in_view(session, scope=principal.scope, code="")
    inside, integrity, _ = kpis.view(session, scope=principal.scope, node=node)
    counted = counts.count(session, offices=inside, integrity=integrity, unplaced=False, since=since, until=now,
                           now=now)
    rows = [r for r in counts.rows(session, counted, by=by, min_count=settings.kpi_min_count) if r.tally.received]
    rows.sort(key=lambda r: (not r.published, -(r.figures["silence_median_hours"] or 0), r.key))
    return SilencePage(by=by, since=since, min_count=settings.kpi_min_count, rows=[SilenceOut(
        key=r.key, name=r.name, count=r.figures["received"], published=r.published,
        **{code: r.figures[code] for code in SilenceOut.model_fields if code in r.figures}) for r in rows])


def _aware(moment: datetime | None, field: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone, e.g. 2026-11-01T00:00:00Z", field=field)
    return moment
