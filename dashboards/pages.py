"""What every staff page shares: the templates, the words for states and clocks, and the page frame."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from core import times
from core.i18n import SOURCE_LANGUAGE
from dashboards.signin import Staff
from escalation.models import DeadlineKind
from intake.models import Status

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")  # autoescaped (.html)
times.install(templates.env)
STATUS_WORDS = {Status.RECEIVED: "Received", Status.TRIAGE: "Triage", Status.ASSIGNED: "Assigned",
                Status.IN_PROGRESS: "In progress", Status.AWAITING_CITIZEN: "Waiting for the citizen",
                Status.RESOLVED: "Resolved", Status.CLOSED: "Closed"}
STATUS_CHOICES = [("open", "Open"), ("all", "All"), *((s.value, w) for s, w in STATUS_WORDS.items())]
KIND_WORDS: dict[DeadlineKind | str | None, str] = {
    DeadlineKind.FIRST_RESPONSE: "first response", DeadlineKind.RESOLUTION: "resolution",
    DeadlineKind.TRANSFER: "take up or transfer", None: ""}
KIND_WORDS |= {kind.value: words for kind, words in list(KIND_WORDS.items()) if isinstance(kind, DeadlineKind)}


def render(request: Request, name: str, staff: Staff, context: dict[str, object], status: int = 200) -> Response:
    """A signed-in page: the header needs the person and the sign-out form its CSRF token; `{{ at|shown }}`
    shows times in the zone of the person's office."""
    return templates.TemplateResponse(request, name, {"staff": staff, "csrf_token": staff.csrf_token,
                                                      "zone": staff.timezone, "language": SOURCE_LANGUAGE, **context},
                                      status_code=status)
