"""Development page: the messages the console gateway 'sent', newest first (only without an SMS provider)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from app.deps import SessionDep
from core.outbox import OutboxMessage

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/dev/outbox", response_class=HTMLResponse)
def dev_outbox(request: Request, session: SessionDep) -> HTMLResponse:
    messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)).all()
    return templates.TemplateResponse(request, "dev_outbox.html", {"messages": messages})
