"""KPIs over the grievances the caller may see: silence and resolution time per office or category."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.deps import PrincipalDep
from core.errors import InvalidInput
from core.web import NowDep, SessionDep, SettingsDep
from escalation.queries import silence

router = APIRouter(prefix="/api/v1/kpi", tags=["kpi"])


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
    """Measuring silence: how long citizens waited for any answer, per office or category, worst first."""
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since needs a timezone, e.g. 2026-11-01T00:00:00Z", field="since")
    since = since or now - timedelta(days=90)
    rows = silence(session, where=principal.scope.where(), since=since, now=now, by=by,
                   min_count=settings.kpi_min_count)
    return SilencePage(by=by, since=since, min_count=settings.kpi_min_count,
                       rows=[SilenceOut(**row.__dict__) for row in rows])
