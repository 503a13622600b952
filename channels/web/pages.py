"""The portal's pages: a complaint form that works without JavaScript on any phone, in every shipped language.

There is no sign-in and no cookie: a complaint needs neither, and following one needs its tracking number
and secret. So there is no session to forge a request in (no CSRF token); a hidden random submission key
makes a double tap or a resent form file the complaint once.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select

from channels.accept import accept
from channels.web.words import words
from core import times
from core.errors import InvalidInput
from core.i18n import best, shipped
from core.web import NowDep, SessionDep, SettingsDep
from intake.actors import Actor
from intake.models import ActorType, Category, Channel
from intake.schemas import GrievanceDraft
from routing.models import Area
from routing.web import ModelDep, PolicyDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")  # autoescaped (.html)
times.install(templates.env)
LANGUAGE_NAMES = {"en": "English", "ne": "नेपाली"}
SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CITIZEN = Actor(type=ActorType.CITIZEN)
FIELDS = ("text", "category", "area", "name", "phone", "anonymous")


def language_of(request: Request, asked: str | None = None) -> str:
    """The language asked for (?lang=, a form field), else the browser's first preference, else English."""
    if asked:
        return best(asked)
    header = request.headers.get("accept-language", "")
    return best(header.split(",")[0].split(";")[0]) if header else best(None)


@router.get("/", include_in_schema=False)
def front_door() -> RedirectResponse:
    """Until the front door page (issue 27): a person who opens the address lands on the complaint form."""
    return RedirectResponse("/complain", status_code=303)


@router.get("/complain", response_class=HTMLResponse)
def complain_form(request: Request, session: SessionDep, lang: str | None = None) -> Response:
    return _form(request, session, language_of(request, lang), {}, None, None)


@router.post("/complain", response_class=HTMLResponse)
async def complain(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep, model: ModelDep,
                   policy: PolicyDep) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, ""))[:20_000] for name in FIELDS}
    language = language_of(request, str(form.get("language", ""))[:16])
    submission = str(form.get("submission", ""))
    draft = dict(text=values["text"], category=values["category"] or None, admin_area=values["area"] or None,
                 name=values["name"] or None, phone=values["phone"] or None, anonymous=bool(values["anonymous"]),
                 channel=Channel.WEB, language=language)
    try:
        with session.begin_nested():  # a refused complaint leaves nothing behind
            result = accept(session, draft=GrievanceDraft(**draft), actor=CITIZEN, now=now,
                            region=settings.default_region, model=model, policy=policy,
                            idempotency=("web", submission) if SUBMISSION.match(submission) else None)
    except InvalidInput as problem:
        return _form(request, session, language, values, str(problem), problem.field, status=422)
    except ValidationError as problem:  # a field past its bound (a hand-made request; the form's limits are lower)
        field = str(problem.errors()[0]["loc"][0]) if problem.errors() else None
        return _form(request, session, language, values, f"{field or 'a field'} is too long", field, status=422)
    return page(request, "received.html", language, {"grievance": result.grievance, "secret": result.secret})


def _form(request: Request, session: SessionDep, language: str, values: dict[str, str], error: str | None,
          field: str | None, status: int = 200) -> Response:
    categories = sorted((c.code, c.name_in(language)) for c in session.scalars(select(Category).where(Category.active)))
    categories.sort(key=lambda pair: pair[1])
    areas = [(a.code, (a.translations or {}).get(language) or (a.names[0] if a.names else a.code))
             for a in session.scalars(select(Area).where(Area.active).order_by(Area.code))]
    return page(request, "complain.html", language, {
        "form": values, "error": error, "error_field": field, "categories": categories, "areas": areas,
        "submission": secrets.token_urlsafe(24)}, status=status)


def page(request: Request, name: str, language: str, context: dict[str, Any], status: int = 200) -> Response:
    """A portal page in `language`, with the language links every page carries."""
    languages = [(code, LANGUAGE_NAMES.get(code, code)) for code in shipped()]
    return templates.TemplateResponse(request, name, {"language": language, "w": words(language),
                                                      "languages": languages, **context}, status_code=status)
