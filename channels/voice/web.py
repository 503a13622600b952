"""POST /webhooks/twilio/voice…: the voice line's menu as TwiML, every request signed by Twilio.

Greeting and language choice → menu (1: record a complaint, 2: hear the news of your complaints)
→ a recording of bounded length → the tracking number read back character by character and sent
by SMS. Recordings are filed once per RecordingSid, so a replayed or retried callback files nothing.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Request, Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from channels.twilio_webhook import AlwaysSignedForm, field
from channels.voice import calls
from core.i18n import say
from core.settings import Settings
from core.web import NowDep, SessionDep, SettingsDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks/twilio/voice", include_in_schema=False)
# Twilio's text-to-speech has no Nepali voice; its Hindi voice reads Devanagari script.
SAY_LANGUAGES = {"en": "en-US", "ne": "hi-IN"}
KEYPAD = "123456789"


def _twiml(response: VoiceResponse) -> Response:
    return Response(content=str(response), media_type="application/xml")


def _url(settings: Settings, path: str, **query: str) -> str:
    """The absolute URL of a step (what Twilio will call, and sign)."""
    url = settings.public_base_url.rstrip("/") + router.prefix + path
    return f"{url}?{urlencode(query)}" if query else url


def _language(settings: Settings, request: Request) -> str:
    asked = request.query_params.get("lang", "")
    return asked if asked in settings.languages else settings.languages[0]


def _say(node: VoiceResponse | Gather, language: str, text: str) -> None:
    node.say(text, language=SAY_LANGUAGES.get(language, "en-US"))


@router.post("")
def incoming_call(_params: AlwaysSignedForm, settings: SettingsDep) -> Response:
    """A call arrives: greet in every configured language and ask for one (straight to the menu if only one)."""
    languages = settings.languages[:len(KEYPAD)]
    if len(languages) == 1:
        return _menu(settings, languages[0], greet=True)
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=_url(settings, "/language"), method="POST", timeout=6)
    for key, language in zip(KEYPAD, languages, strict=False):
        _say(gather, language, say(language, "Welcome to the public service complaints line."))
        _say(gather, language, say(language, "For English, press {key}.", key=key))
    response.append(gather)
    response.redirect(_url(settings, ""), method="POST")  # no key pressed: greet again
    return _twiml(response)


@router.post("/language")
def chosen_language(params: AlwaysSignedForm, settings: SettingsDep) -> Response:
    digits = params.get("Digits", "")[:4]
    languages = settings.languages[:len(KEYPAD)]
    if len(digits) != 1 or digits not in KEYPAD[:len(languages)]:
        response = VoiceResponse()
        response.redirect(_url(settings, ""), method="POST")
        return _twiml(response)
    return _menu(settings, languages[KEYPAD.index(digits)], greet=False)


def _menu(settings: Settings, language: str, *, greet: bool) -> Response:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=_url(settings, "/menu", lang=language), method="POST", timeout=8)
    if greet:
        _say(gather, language, say(language, "Welcome to the public service complaints line."))
    _say(gather, language, say(language, "To record a complaint, press 1. To hear the news of your complaints, "
                                         "press 2."))
    response.append(gather)
    response.redirect(_url(settings, "/menu", lang=language), method="POST")
    return _twiml(response)


@router.post("/menu")
def menu_choice(request: Request, params: AlwaysSignedForm, session: SessionDep, settings: SettingsDep) -> Response:
    language = _language(settings, request)
    digits = params.get("Digits", "")[:4]
    response = VoiceResponse()
    if digits == "1":
        _say(response, language, say(language, "After the tone, say what is wrong and where. You have {minutes} "
                                               "minutes. Press the hash key when you have finished.",
                                     minutes=f"{settings.voice_max_seconds / 60:g}"))
        response.record(max_length=settings.voice_max_seconds, play_beep=True, finish_on_key="#",
                        trim="trim-silence", action=_url(settings, "/recorded", lang=language), method="POST",
                        transcribe=settings.voice_transcribe,
                        transcribe_callback=_url(settings, "/transcription") if settings.voice_transcribe else None)
        _say(response, language, say(language, "We did not hear a message. Goodbye."))  # Record ended in silence
        response.hangup()
    elif digits == "2":
        caller = calls.caller_phone(params.get("From", ""), region=settings.default_region)
        found = calls.caller_news(session, phone=caller, language=language)
        if not found:
            _say(response, language, say(language, "We have no complaint from this phone number."))
        for number, state in found:
            _say(response, language, say(language, "Complaint {tracking}: {state}.", tracking=spelled(number),
                                         state=state))
        response.redirect(_url(settings, "/menu", lang=language), method="POST")
    else:
        return _menu(settings, language, greet=False)
    return _twiml(response)


@router.post("/recorded")
def recorded(request: Request, params: AlwaysSignedForm, session: SessionDep, settings: SettingsDep, now: NowDep,
             background: BackgroundTasks) -> Response:
    """The recording ended: file it, read the tracking number back twice, and send it by SMS."""
    language = _language(settings, request)
    seconds = field(params, "RecordingDuration", required=False)
    recording = calls.Recording(sid=field(params, "RecordingSid")[:64], url=field(params, "RecordingUrl")[:500],
                                seconds=int(seconds) if seconds.isdigit() else 0,
                                call_sid=field(params, "CallSid")[:64],
                                caller=calls.caller_phone(params.get("From", ""), region=settings.default_region))
    grievance = calls.file_recording(session, recording=recording, language=language, now=now,
                                     region=settings.default_region)
    response = VoiceResponse()
    if grievance is None:
        _say(response, language, say(language, "We did not hear a message."))
        return _menu_after(response, settings, language)
    background.add_task(request.app.state.wake_delivery)
    number = spelled(grievance.tracking_number)
    _say(response, language, say(language, "Thank you. Your complaint is recorded. Your tracking number is: "
                                           "{tracking}.", tracking=number))
    _say(response, language, say(language, "Again: {tracking}.", tracking=number))
    if recording.caller:
        _say(response, language, say(language, "We are also sending it to you by SMS. Goodbye."))
    else:
        _say(response, language, say(language, "Please write it down. Goodbye."))
    response.hangup()
    log.info("voice message filed as %s", grievance.tracking_number)
    return _twiml(response)


def _menu_after(response: VoiceResponse, settings: Settings, language: str) -> Response:
    response.redirect(_url(settings, "/menu", lang=language), method="POST")
    return _twiml(response)


@router.post("/transcription", status_code=204)
def transcription(params: AlwaysSignedForm, session: SessionDep, now: NowDep) -> Response:
    """Twilio's transcription of a recording, sent after the call; kept for the operator who summarises it."""
    calls.add_transcription(session, recording_sid=field(params, "RecordingSid")[:64],
                            text=field(params, "TranscriptionText", required=False),
                            status=field(params, "TranscriptionStatus", required=False)[:16], now=now)
    return Response(status_code=204)


def spelled(tracking_number: str) -> str:
    """'KYVZ-6638' → 'K, Y, V, Z. 6, 6, 3, 8': text-to-speech reads each character, with a pause at the dash."""
    return ". ".join(", ".join(part) for part in tracking_number.split("-"))
