"""Twilio-compatible webhooks: inbound SMS and delivery status callbacks, signed and idempotent.

The signature is checked before anything is read from the database; the reply to the citizen is
queued in the request's transaction and the delivery loop is woken once it has committed.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from starlette.datastructures import UploadFile

from channels.sms import conversation
from channels.sms.twilio import EMPTY_TWIML, record_status, signature_valid, signed_url
from core.errors import DomainError, InvalidInput
from core.settings import Environment, Settings, SmsProvider
from core.web import NowDep, SessionDep, SettingsDep
from intake.normalise import phone_e164
from routing.web import ModelDep, PolicyDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/twilio", include_in_schema=False)
MAX_FIELD_CHARS = 4000


class BadSignature(DomainError):
    status = 403
    code = "bad_signature"


def unsigned_allowed(settings: Settings) -> bool:
    """Only the console development mode takes unsigned webhooks (the dev page's simulated SMS)."""
    return (not settings.twilio_auth_token and settings.sms_provider is SmsProvider.CONSOLE
            and settings.environment is Environment.DEVELOPMENT)


async def _signed_form(request: Request) -> dict[str, str]:
    """The form Twilio posted, once its X-Twilio-Signature is proven; 403 otherwise."""
    settings: Settings = request.app.state.settings
    form = await request.form()
    if any(isinstance(value, UploadFile) for value in form.values()):
        raise InvalidInput("file uploads are not accepted here")
    params = {key: str(value) for key, value in form.items()}
    if unsigned_allowed(settings):
        return params
    if not settings.twilio_auth_token:
        raise BadSignature("this endpoint is disabled: set REDRESS_TWILIO_AUTH_TOKEN so requests can be verified")
    url = signed_url(settings.public_base_url, request.url.path, request.url.query)
    if not signature_valid(auth_token=settings.twilio_auth_token, url=url, params=params,
                           signature=request.headers.get("x-twilio-signature"),
                           settings_header=request.headers.get("x-twilio-webhooks-signature-settings")):
        raise BadSignature("the X-Twilio-Signature header is missing or does not match this request")
    if settings.twilio_account_sid and params.get("AccountSid", settings.twilio_account_sid) != \
            settings.twilio_account_sid:
        raise BadSignature("this request is for another account")
    return params


SignedForm = Annotated[dict[str, str], Depends(_signed_form)]


def _field(params: dict[str, str], name: str, *, required: bool = True) -> str:
    value = params.get(name, "")
    if required and not value.strip():
        raise InvalidInput(f"{name} is required", field=name)
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidInput(f"{name} is longer than {MAX_FIELD_CHARS} characters", field=name)
    return value


@router.post("/sms")
def inbound_sms(request: Request, params: SignedForm, session: SessionDep, now: NowDep, settings: SettingsDep,
                model: ModelDep, policy: PolicyDep, background: BackgroundTasks) -> Response:
    """An SMS from a citizen: a complaint, a follow-up or a command; a retry of the same MessageSid does nothing."""
    message_sid = _field(params, "MessageSid")
    phone = phone_e164(_field(params, "From"), region=settings.default_region)
    context = conversation.SmsContext.from_settings(settings, model=model, policy=policy)
    outcome = conversation.handle(session, phone=phone, body=_field(params, "Body", required=False),
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
    record_status(session, message_sid=_field(params, "MessageSid")[:64],
                  status=_field(params, "MessageStatus")[:16], error_code=int(error) if error.isdigit() else None,
                  now=now)
    return Response(status_code=204)
