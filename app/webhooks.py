"""Twilio-compatible webhooks: inbound SMS and delivery status callbacks, signed and idempotent.

The signature is checked before anything is read from the database; the reply to the citizen is
queued in the request's transaction and the delivery loop is woken once it has committed.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Request, Response

from channels.sms import conversation
from channels.sms.twilio import EMPTY_TWIML, record_status
from channels.twilio_webhook import SignedForm, field
from core.web import NowDep, SessionDep, SettingsDep
from intake.normalise import phone_e164
from routing.web import ModelDep, PolicyDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/twilio", include_in_schema=False)


@router.post("/sms")
def inbound_sms(request: Request, params: SignedForm, session: SessionDep, now: NowDep, settings: SettingsDep,
                model: ModelDep, policy: PolicyDep, background: BackgroundTasks) -> Response:
    """An SMS from a citizen: a complaint, a follow-up or a command; a retry of the same MessageSid does nothing."""
    message_sid = field(params, "MessageSid")
    phone = phone_e164(field(params, "From"), region=settings.default_region)
    context = conversation.SmsContext.from_settings(settings, model=model, policy=policy)
    outcome = conversation.handle(session, phone=phone, body=field(params, "Body", required=False),
                                  message_sid=message_sid, now=now, context=context,
                                  provider_confirms_opt_out=bool(params.get("OptOutType")))
    log.info("inbound SMS %s: %s", message_sid[:40], outcome.action)
    if outcome.action != "duplicate":
        background.add_task(request.app.state.wake_delivery)  # runs after the commit and the answer
    return Response(content=EMPTY_TWIML, media_type="application/xml")


@router.post("/status", status_code=204)
def status_callback(params: SignedForm, session: SessionDep, now: NowDep) -> Response:
    """The provider reports a message's delivery; a late or repeated report changes nothing."""
    error = params.get("ErrorCode", "").strip()
    record_status(session, message_sid=field(params, "MessageSid")[:64],
                  status=field(params, "MessageStatus")[:16], error_code=int(error) if error.isdigit() else None,
                  now=now)
    return Response(status_code=204)
