"""Twilio's webhooks, SMS and voice alike: the X-Twilio-Signature proven before anything is read or written.

The signature covers the URL Twilio called, so it is checked against REDRESS_PUBLIC_BASE_URL + path
(+ query): behind a proxy the URL the app sees is not the one Twilio signed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from channels.sms.twilio import signature_valid, signed_url
from core.errors import DomainError, InvalidInput
from core.settings import Environment, Settings, SmsProvider

MAX_FIELD_CHARS = 4000


class BadSignature(DomainError):
    status = 403
    code = "bad_signature"


def unsigned_allowed(settings: Settings) -> bool:
    """Only the console development mode takes unsigned webhooks (the dev page's simulated SMS)."""
    return (not settings.twilio_auth_token and settings.sms_provider is SmsProvider.CONSOLE
            and settings.environment is Environment.DEVELOPMENT)


async def signed_form(request: Request) -> dict[str, str]:
    """The form Twilio posted, once its X-Twilio-Signature is proven; 403 otherwise."""
    return await _verified(request, unsigned=unsigned_allowed(request.app.state.settings))


async def always_signed_form(request: Request) -> dict[str, str]:
    """The same, with no development exception: the voice line has no simulator that posts unsigned."""
    return await _verified(request, unsigned=False)


async def _verified(request: Request, *, unsigned: bool) -> dict[str, str]:
    settings: Settings = request.app.state.settings
    form = await request.form()
    if any(isinstance(value, UploadFile) for value in form.values()):
        raise InvalidInput("file uploads are not accepted here")
    params = {key: str(value) for key, value in form.items()}
    if unsigned:
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


SignedForm = Annotated[dict[str, str], Depends(signed_form)]
AlwaysSignedForm = Annotated[dict[str, str], Depends(always_signed_form)]


def field(params: dict[str, str], name: str, *, required: bool = True) -> str:
    value = params.get(name, "")
    if required and not value.strip():
        raise InvalidInput(f"{name} is required", field=name)
    if len(value) > MAX_FIELD_CHARS:
        raise InvalidInput(f"{name} is longer than {MAX_FIELD_CHARS} characters", field=name)
    return value
