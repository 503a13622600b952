"""The public responsiveness pages: no sign-in, no JavaScript, every shipped language (GET /public…).

Figures come from dashboards.public, the same rows as the open-data files; nothing about individuals.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from channels.web.pages import LANGUAGE_NAMES, language_of, templates
from channels.web.words import words as portal_words
from core.errors import NotFound
from core.i18n import shipped
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import public
from dashboards.public_words import duration, words
from intake.models import Category, Office

router = APIRouter(prefix="/public", include_in_schema=False)
Days = Annotated[int, Query(ge=7, le=366)]
Lang = Annotated[str | None, Query(max_length=16)]
Code = Annotated[str, Path(max_length=32)]


def _context(request: Request, settings: SettingsDep, lang: str | None, days: int) -> dict[str, object]:
    language = language_of(request, lang)
    return {"language": language, "w": portal_words(language) | words(language), "days": days,
            "min": settings.kpi_min_count, "duration": lambda hours: duration(language, hours),
            "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in shipped()
                          if code in settings.languages]}


@router.get("", response_class=HTMLResponse)
def responsiveness(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep, lang: Lang = None,
                   days: Days = 90) -> Response:
    since = public.period(now, days)
    context = _context(request, settings, lang, days) | {
        "offices": public.league(session, by="office", since=since, now=now, min_count=settings.kpi_min_count),
        "categories": public.league(session, by="category", since=since, now=now,
                                    min_count=settings.kpi_min_count)}
    return templates.TemplateResponse(request, "public.html", context)


@router.get("/offices/{code}", response_class=HTMLResponse)
def office(request: Request, code: Code, session: SessionDep, now: NowDep, settings: SettingsDep,
           lang: Lang = None, days: Days = 90) -> Response:
    return _detail(request, session, now, settings, "office", code, lang, days)


@router.get("/categories/{code}", response_class=HTMLResponse)
def category(request: Request, code: Code, session: SessionDep, now: NowDep, settings: SettingsDep,
             lang: Lang = None, days: Days = 90) -> Response:
    return _detail(request, session, now, settings, "category", code, lang, days)


def _detail(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep,
            by: Literal["office", "category"], code: str, lang: str | None, days: int) -> Response:
    model = Office if by == "office" else Category
    found = session.scalar(select(model).where(model.code == code.upper() if by == "office" else
                                               model.code == code.lower()))
    if found is None:
        raise NotFound(f"no {by} {code!r}")
    since = public.period(now, days)
    row = next((r for r in public.league(session, by=by, since=since, now=now, min_count=settings.kpi_min_count)
                if r.key == found.code), None)
    months = public.monthly(session, by=by, code=found.code, months=12, now=now, min_count=settings.kpi_min_count)
    context = _context(request, settings, lang, days) | {"by": by, "subject": found, "row": row, "months": months}
    return templates.TemplateResponse(request, "public_detail.html", context)
