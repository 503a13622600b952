"""The tracking page: a citizen's complaint as they may see it, and what they may do to it, behind its
tracking number and secret.

Both travel in a POST body (never in a URL, where they would land in logs and browser history). Wrong
guesses are counted per tracking number and per address: a number that has had too many is locked for
a while, even against the right secret, so a secret cannot be found by trying.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from channels.news import zone_of
from channels.web.pages import language_of, page
from channels.web.words import event_words, role_words, status_words, words
from core import throttle, times
from core.errors import Conflict, InvalidInput
from core.settings import Settings
from core.web import NowDep, SessionDep, SettingsDep
from escalation.models import DeadlineKind
from escalation.queries import current_deadlines
from escalation.services import request_escalation, sync
from intake import queries, services, tracking
from intake.actors import citizen_actor
from intake.models import ActorType, EventKind, Grievance, GrievanceEvent, Office, Status

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Step:
    at: str  # as `_when` shows it
    what: str
    who: str
    note: str | None


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, lang: str | None = None) -> Response:
    return page(request, "track.html", language_of(request, lang), {"error": None, "number": ""})


@router.post("/track", response_class=HTMLResponse)
async def track(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep) -> Response:
    form = await request.form()
    found = _verified(request, session, now, settings, form)
    if isinstance(found, Response):
        return found
    language, grievance = found
    return _tracked(request, session, grievance, language, form, notice=None, error=None)


@router.post("/track/act", response_class=HTMLResponse)
async def act(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep) -> Response:
    """What a citizen may do to their own complaint: add information, confirm or reopen a resolution,
    ask a higher office once the silence deadline has passed. Each needs the number and secret again."""
    form = await request.form()
    found = _verified(request, session, now, settings, form)
    if isinstance(found, Response):
        return found
    language, grievance = found
    action, text = str(form.get("action", "")), str(form.get("text", ""))[:20_000]
    actor = citizen_actor(grievance.citizen_id)
    w = words(language)
    try:
        with session.begin_nested():  # a refused action leaves nothing behind
            if action == "add":
                services.add_citizen_info(session, grievance=grievance, actor=actor, now=now, text=text)
                notice = w["added"]
            elif action == "confirm":
                services.close(session, grievance=grievance, actor=actor, now=now, note=w["confirmed_note"])
                notice = w["confirmed"]
            elif action == "reopen":
                services.reopen(session, grievance=grievance, actor=actor, now=now, note=text)
                notice = w["reopened"]
            elif action == "escalate":
                result, deadline = request_escalation(session, grievance=grievance, now=now)
                notice = w[f"escalate_{result.value}"].format(date=_when(grievance, language, settings)(deadline.due_at)
                                                              if deadline is not None else "")
            else:
                raise InvalidInput("choose what to do", field="action")
            sync(session, grievance=grievance, now=now)
    except (InvalidInput, Conflict) as problem:
        return _tracked(request, session, grievance, language, form, notice=None, error=str(problem), status=422)
    return _tracked(request, session, grievance, language, form, notice=notice, error=None)


def _verified(request: Request, session: SessionDep, now: datetime, settings: Settings,
              form: FormData) -> tuple[str, Grievance] | Response:
    """The grievance whose number and secret the form carries, or the refusal (wrong, or locked out)."""
    language = language_of(request, str(form.get("language", ""))[:16])
    typed, secret = str(form.get("tracking_number", ""))[:40], str(form.get("secret", ""))[:64]
    address = request.client.host if request.client else "unknown"
    lockout = timedelta(minutes=settings.track_lockout_minutes)
    try:
        number = tracking.parse(typed)
    except InvalidInput:
        number = typed.strip().upper()  # a typo costs a try like any wrong guess
    keys = [(throttle.key_of("track", number), settings.track_max_failures),
            (throttle.key_of("track-ip", address), settings.track_ip_max_failures)]
    until = max((t for t in (throttle.locked_until(session, key, now) for key, _ in keys) if t), default=None)
    if until is not None:
        return _refused(request, language, typed, until, status=429)
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    if grievance is None or not secret or not tracking.secret_matches(secret.strip().upper(), grievance.secret_hash):
        for key, allowed in keys:
            throttle.failed(session, key, now=now, max_failures=allowed, lockout=lockout)
        return _refused(request, language, typed, None, status=403)
    throttle.cleared(session, keys[0][0])
    return language, grievance


def _tracked(request: Request, session: SessionDep, grievance: Grievance, language: str, form: FormData, *,
             notice: str | None, error: str | None, status: int = 200) -> Response:
    """The page carries the number and secret in its forms (so each action is checked again); no cache keeps it."""
    context = _view(session, grievance, language, request.app.state.settings) | {
        "notice": notice, "error": error, "secret": str(form.get("secret", ""))[:64].strip().upper()}
    answer = page(request, "tracked.html", language, context, status=status)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _refused(request: Request, language: str, typed: str, until: datetime | None, *, status: int) -> Response:
    """Wrong or locked out; the lockout's end in the service's zone, as no grievance is known yet."""
    until_shown = times.shown(until, zone=request.app.state.settings.timezone, language=language) if until else ""
    return page(request, "track.html", language, {"number": typed, "error": "locked" if until else "wrong",
                                                  "until": until_shown}, status=status)


def _when(grievance: Grievance, language: str, settings: Settings) -> Callable[[datetime], str]:
    """Times as every page shows them, in the zone `zone_of` gives the citizen, named."""
    zone = zone_of(grievance, default=settings.timezone)
    return lambda moment: times.shown(moment, zone=zone, language=language)


def _view(session: SessionDep, grievance: Grievance, language: str, settings: Settings) -> dict[str, object]:
    when = _when(grievance, language, settings)
    kinds, roles = event_words(language), role_words(language)
    public = session.scalars(select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance.id,
                                                          GrievanceEvent.public).order_by(GrievanceEvent.at,
                                                                                          GrievanceEvent.id)).all()
    went = queries.destinations(session, public)
    steps = []
    for event in public:
        steps.append(Step(at=when(event.at), what=_what(event, went.get(event), kinds, language),
                          who=_who(event, roles, language), note=event.note if _shows_note(event) else None))
    expected = {d["kind"]: d for d in current_deadlines(session, [grievance.id])[grievance.id]}  # as the API
    dates = []
    for kind, label in ((DeadlineKind.FIRST_RESPONSE, "expected_response"),
                        (DeadlineKind.RESOLUTION, "expected_resolution")):
        if (deadline := expected.get(kind.value)) is not None:
            state = "answered" if deadline["met_at"] else "paused" if deadline["paused"] else None
            dates.append((label, when(deadline["due_at"]), state))
    silent = expected.get(DeadlineKind.FIRST_RESPONSE.value)
    return {"grievance": grievance, "status": status_words(language).get(grievance.status.value, ""),
            "steps": steps, "dates": dates, "resolved": grievance.status is Status.RESOLVED,
            "open": grievance.status is not Status.CLOSED,
            "unanswered": silent is not None and silent["met_at"] is None}


def _what(event: GrievanceEvent, to: Office | None, kinds: dict[str, str], language: str) -> str:
    """A routing names where it went; a transfer also the office it left (the one credited with it)."""
    w = words(language)
    if event.kind is EventKind.TRANSFERRED and to is not None and event.office is not None:
        return w["transferred"].format(from_office=event.office.name_in(language), to_office=to.name_in(language))
    if event.kind is EventKind.ROUTED or (event.kind is EventKind.TRANSFERRED and to is not None):
        return w["routed_to"].format(office=to.name_in(language)) if to else w["routed_triage"]
    return kinds.get(event.kind.value, event.kind.value)


def _who(event: GrievanceEvent, roles: dict[str, str], language: str) -> str:
    """The office and the role that decided: never a staff member's name."""
    w = words(language)
    if event.actor_type is ActorType.CITIZEN:
        return w["you"]
    if event.actor_type is ActorType.STAFF:
        office = event.office.name_in(language) if event.office else w["complaints_team"]
        role = roles.get(event.actor_role or "", "")
        return f"{office} ({role})" if role else office
    return w["system"]


def _shows_note(event: GrievanceEvent) -> bool:
    """What the office wrote to the citizen, and what the citizen wrote; never internal notes."""
    return event.kind.value in {"responded", "info_requested", "resolved", "citizen_added", "reopened"}
