"""Development pages (only without an SMS provider): the messages the console gateway 'sent', newest first,
and a form that sends an SMS as a citizen through the same conversation a real one takes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from channels.sms import conversation
from core import times
from core.i18n import SOURCE_LANGUAGE
from core.outbox import OutboxMessage
from core.web import NowDep, SessionDep, SettingsDep
from intake.normalise import phone_e164
from routing.web import ModelDep, PolicyDep

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
times.install(templates.env)
router = APIRouter(include_in_schema=False)


@router.get("/dev/outbox", response_class=HTMLResponse)
def dev_outbox(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)).all()
    return templates.TemplateResponse(request, "dev_outbox.html", {"messages": messages, "zone": settings.timezone,
                                                                   "language": SOURCE_LANGUAGE})


@router.post("/dev/sms")
def dev_sms(request: Request, phone: Annotated[str, Form(max_length=40)], body: Annotated[str, Form(max_length=1600)],
            session: SessionDep, now: NowDep, settings: SettingsDep, model: ModelDep,
            policy: PolicyDep, background: BackgroundTasks) -> RedirectResponse:
    context = conversation.SmsContext.from_settings(settings, model=model, policy=policy)
    conversation.handle(session, phone=phone_e164(phone, region=settings.default_region), body=body,
                        message_sid=f"SMdev{uuid.uuid4().hex}", now=now, context=context)
    background.add_task(request.app.state.wake_delivery)
    return RedirectResponse("/dev/outbox", status_code=303)
