"""The SMS conversation: one inbound message in, the right action and one short reply in the citizen's language.

A new text opens a grievance; a text soon after one (or an answer to an office's question) adds to it;
STATUS, HELP, STOP/START and LANG are commands. Every reply is queued in the outbox in the same
transaction, and nothing but the opt-out confirmation goes to a number that opted out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels import news, survey_answers
from channels.accept import accept
from channels.sms.commands import Command, Kind, parse
from classifier.similarity import similarity
from core import times
from core.errors import DomainError
from core.i18n import guess_language, say, shipped
from core.outbox import OPT_OUT_CONFIRMATION, OutboxChannel, enqueue
from core.segments import encoding
from core.settings import Settings
from escalation.services import EscalationRequest, request_escalation, sync
from intake import citizens, services, tracking
from intake.actors import citizen_actor
from intake.models import Channel, Citizen, EventKind, Grievance, GrievanceEvent, Status
from intake.schemas import GrievanceDraft
from routing.registry import ActiveModel
from routing.services import Policy

PROVIDER = "twilio"
LISTED = 3


@dataclass(frozen=True)
class SmsContext:
    """What the conversation needs from settings and the app: built once, passed in."""

    region: str = "NP"
    timezone: str = "UTC"
    languages: tuple[str, ...] = ("en",)
    followup_window: timedelta = timedelta(hours=2)
    model: ActiveModel | None = None
    policy: Policy = field(default_factory=Policy)
    ask_payment: bool = True

    def survey(self) -> survey_answers.SurveyContext:
        return survey_answers.SurveyContext(region=self.region, ask_payment=self.ask_payment, model=self.model,
                                            policy=self.policy)

    @classmethod
    def from_settings(cls, settings: Settings, *, model: ActiveModel | None, policy: Policy) -> SmsContext:
        return cls(region=settings.default_region, timezone=settings.timezone, languages=tuple(settings.languages),
                   followup_window=timedelta(minutes=settings.sms_followup_window_minutes), model=model,
                   policy=policy, ask_payment=settings.survey_payment_question)


@dataclass(frozen=True)
class Outcome:
    action: str  # new, followup, survey, status, help, stop, start, language, duplicate, invalid
    grievance: Grievance | None = None


def handle(session: Session, *, phone: str, body: str, message_sid: str, now: datetime, context: SmsContext,
           provider_confirms_opt_out: bool = False) -> Outcome:
    """Act on one inbound SMS exactly once: the same MessageSid again changes nothing and sends nothing."""
    request_hash = hashlib.sha256(f"{phone}\n{body}".encode()).hexdigest()
    claim = services.claim_inbound(session, provider=PROVIDER, key=message_sid, request_hash=request_hash, now=now)
    if claim is None:
        return Outcome("duplicate")
    citizen = citizens.citizen_by_phone(session, phone)
    conversation = _Conversation(session, phone=phone, citizen=citizen, now=now, context=context,
                                 language=_language(citizen, body, context))
    command = parse(body)
    try:
        with session.begin_nested():
            outcome = conversation.act(command, provider_confirms_opt_out=provider_confirms_opt_out)
    except DomainError:
        conversation.reply(say(conversation.language, "Sorry, we could not read that message. Send HELP for help."),
                           purpose="sms_error")
        outcome = Outcome("invalid")
    if outcome.grievance is not None:
        claim.grievance_id = outcome.grievance.id
    return outcome


def _language(citizen: Citizen | None, body: str, context: SmsContext) -> str:
    if citizen is not None and citizen.language in context.languages:
        return citizen.language
    guessed = guess_language(body, default=context.languages[0])
    return guessed if guessed in context.languages else context.languages[0]


class _Conversation:
    def __init__(self, session: Session, *, phone: str, citizen: Citizen | None, now: datetime,
                 context: SmsContext, language: str) -> None:
        self.session = session
        self.phone = phone
        self.citizen = citizen
        self.now = now
        self.context = context
        self.language = language

    def act(self, command: Command, *, provider_confirms_opt_out: bool) -> Outcome:
        if command.kind is Kind.STOP:
            self.citizen = citizens.opt_out(self.session, phone=self.phone, now=self.now)
            if not provider_confirms_opt_out:  # Twilio's Advanced Opt-Out already answered the citizen
                self.reply(say(self.language, "You will get no more SMS from us. Send START to receive them "
                               "again."), purpose=OPT_OUT_CONFIRMATION)
            return Outcome("stop")
        if command.kind is Kind.START:
            self.citizen = citizens.opt_in(self.session, phone=self.phone, now=self.now)
            self.reply(say(self.language, "You will receive our SMS again. Send HELP for help."), purpose="opt_in")
            return Outcome("start")
        if command.kind is Kind.HELP:
            self.reply(self.help_text(), purpose="help")
            return Outcome("help")
        if command.kind is Kind.LANGUAGE:
            return self.set_language(command.argument)
        if command.kind is Kind.STATUS:
            return self.status(command.argument)
        if command.kind is Kind.ESCALATE:
            return self.escalate(command.argument)
        if command.kind is Kind.NEW:
            return self.new_grievance(command.argument)
        survey = survey_answers.open_survey(self.session, channel="sms", recipient=self.phone)
        if survey is not None:
            taken = survey_answers.take(self.session, survey=survey, text=command.argument, now=self.now,
                                        context=self.context.survey())
            if taken.taken:
                if taken.reply:
                    self.reply(taken.reply, purpose="survey_reply", grievance=taken.grievance)
                return Outcome("survey", taken.grievance)
        followed = self.followup_candidate()
        if followed is not None and not self.clearly_new(command.argument, followed):
            return self.add_to(followed, command.argument)
        return self.new_grievance(command.argument)

    def help_text(self) -> str:
        return say(self.language, "Send your complaint as an SMS. STATUS and a number: news. NEW and text: "
                   "another complaint. LANG ne: Nepali. STOP: no more SMS.")

    def reply(self, body: str, *, purpose: str, grievance: Grievance | None = None) -> bool:
        """Queue a reply the citizen is waiting for (no quiet hours); never to a number that opted out."""
        if self.citizen is not None and self.citizen.opted_out_at is not None and purpose != OPT_OUT_CONFIRMATION:
            return False
        enqueue(self.session, channel=OutboxChannel.SMS, recipient=self.phone, body=body, purpose=purpose,
                now=self.now, grievance_id=grievance.id if grievance else None,
                citizen_id=self.citizen.id if self.citizen else None, urgent=True)
        return True

    def new_grievance(self, text: str) -> Outcome:
        draft = GrievanceDraft(text=text, phone=self.phone, channel=Channel.SMS, language=self.language)
        actor = citizen_actor(self.citizen.id if self.citizen else None)
        result = accept(self.session, draft=draft, actor=actor, now=self.now, region=self.context.region,
                        model=self.context.model, policy=self.context.policy)
        return Outcome("new", result.grievance)

    def followup_candidate(self) -> Grievance | None:
        """Their latest open grievance, if they wrote about it within the window or the office asked them."""
        if self.citizen is None:
            return None
        latest = self.session.scalar(
            select(Grievance).where(Grievance.citizen_id == self.citizen.id,
                                    Grievance.status.in_(services.OPEN_STATUSES))
            .order_by(Grievance.id.desc()).limit(1))
        if latest is None:
            return None
        if latest.status is Status.AWAITING_CITIZEN:
            return latest
        last_word = self.session.scalar(
            select(func.max(GrievanceEvent.at)).where(GrievanceEvent.grievance_id == latest.id,
                                                      GrievanceEvent.kind.in_((EventKind.SUBMITTED,
                                                                               EventKind.CITIZEN_ADDED))))
        if last_word is None or self.now - last_word > self.context.followup_window:
            return None
        return latest

    def clearly_new(self, text: str, grievance: Grievance) -> bool:
        """The model is sure it is about something else, and it shares few words with the open grievance."""
        model = self.context.model
        if model is None or grievance.category is None:
            return False
        prediction = model.model.predict(text, k=1)
        if prediction.label == grievance.category.code:
            return False
        if prediction.confidence < model.model.threshold_for(prediction.label):
            return False
        return similarity(text, [grievance.text])[0] < self.context.policy.related_similarity

    def add_to(self, grievance: Grievance, text: str) -> Outcome:
        actor = citizen_actor(self.citizen.id if self.citizen else None)
        services.add_citizen_info(self.session, grievance=grievance, actor=actor, now=self.now, text=text)
        sync(self.session, grievance=grievance, now=self.now)  # an answer to the office resumes its clock
        self.reply(say(self.language, "Added to your complaint {tracking}. For a different problem, send NEW and "
                       "describe it.", tracking=grievance.tracking_number), purpose="followup", grievance=grievance)
        return Outcome("followup", grievance)

    def set_language(self, code: str) -> Outcome:
        available = [language for language in self.context.languages if language in shipped()]
        if code not in available:
            self.reply(say(self.language, "Languages: {languages}. Send LANG and a code, for example LANG {example}.",
                           languages=", ".join(available), example=available[-1]), purpose="language")
            return Outcome("language")
        if self.citizen is None:
            self.citizen = citizens.citizen_for_phone(self.session, phone=self.phone, now=self.now)
        self.citizen.language = code
        self.language = code
        self.reply(say(code, "We will write to you in English."), purpose="language")
        return Outcome("language")

    def status(self, asked: str) -> Outcome:
        if not asked:
            return self.list_grievances()
        try:
            number = tracking.parse(asked)
        except tracking.InvalidTrackingNumber:
            self.reply(say(self.language, "{text} is not a tracking number we gave out; please check it for a typo. "
                           "It looks like K7MQ-4QXD.", text=asked[:12]), purpose="status")
            return Outcome("status")
        grievance = None
        if self.citizen is not None:
            grievance = self.session.scalar(select(Grievance).where(Grievance.tracking_number == number,
                                                                   Grievance.citizen_id == self.citizen.id))
        if grievance is None:  # someone else's number looks exactly like one that does not exist
            self.reply(say(self.language, "We found no complaint {tracking} sent from this phone. Please check the "
                           "number.", tracking=number), purpose="status")
            return Outcome("status")
        self.reply(self.status_text(grievance), purpose="status", grievance=grievance)
        return Outcome("status", grievance)

    def own(self, asked: str) -> Grievance | None:
        """The citizen's grievance with this number (their latest open one when no number is given)."""
        if self.citizen is None:
            return None
        query = select(Grievance).where(Grievance.citizen_id == self.citizen.id)
        if asked:
            query = query.where(Grievance.tracking_number == tracking.parse(asked))
        else:
            query = query.where(Grievance.status.in_(services.OPEN_STATUSES)).order_by(Grievance.id.desc()).limit(1)
        return self.session.scalar(query)

    def escalate(self, asked: str) -> Outcome:
        """ESCALATE <number>: once the office has let the silence deadline pass, the next level is alerted."""
        try:
            grievance = self.own(asked)
        except tracking.InvalidTrackingNumber:
            return self.status(asked)  # the same typo answer as STATUS
        if grievance is None:
            self.reply(say(self.language, "We found no complaint {tracking} sent from this phone. Please check the "
                           "number.", tracking=asked[:12] or "-"), purpose="escalate")
            return Outcome("escalate")
        result, deadline = request_escalation(self.session, grievance=grievance, now=self.now)
        number = grievance.tracking_number
        if result is EscalationRequest.REQUESTED:
            text = say(self.language, "{tracking}: escalation requested. The next level is alerted within minutes.",
                       tracking=number)
        elif result is EscalationRequest.NOT_YET:
            when = times.brief(deadline.due_at, zone=news.zone_of(grievance, default=self.context.timezone),
                               language=self.language)
            text = say(self.language, "{tracking}: the office has until {date} to answer. You can send ESCALATE "
                       "after that.", tracking=number, date=when)
        elif result is EscalationRequest.ANSWERED:
            text = say(self.language, "{tracking}: the office has answered. Send STATUS {tracking} to see it.",
                       tracking=number)
        else:
            text = say(self.language, "{tracking}: it is already with the highest office.", tracking=number)
        self.reply(text, purpose="escalate", grievance=grievance)
        return Outcome("escalate", grievance)

    def list_grievances(self) -> Outcome:
        grievances = [] if self.citizen is None else self.session.scalars(
            select(Grievance).where(Grievance.citizen_id == self.citizen.id)
            .order_by(Grievance.status.in_(services.OPEN_STATUSES).desc(), Grievance.id.desc()).limit(LISTED)).all()
        if not grievances:
            self.reply(say(self.language, "We have no complaint from this phone. Send your complaint as an SMS."),
                       purpose="status")
            return Outcome("status")
        listed = ", ".join(f"{g.tracking_number} {news.state(g, self.language)}" for g in grievances)
        self.reply(say(self.language, "Your complaints: {listed}. Send STATUS and a number for news.",
                       listed=listed), purpose="status")
        return Outcome("status")

    def status_text(self, grievance: Grievance) -> str:
        """State, date, and the office's last public word, cut to fit one SMS where the language allows."""
        text = news.headline(grievance, language=self.language, timezone=self.context.timezone)
        update = news.last_update(self.session, grievance, language=self.language)
        return fit(text, update) if update else text


def fit(text: str, extra: str) -> str:
    """Append `extra`, shortened with '...' so the whole stays in one SMS (two for non-Latin scripts)."""
    whole = f"{text} {extra}"
    limit = 160 if encoding(whole) == "GSM-7" else 134
    if len(whole) <= limit:
        return whole
    room = limit - len(text) - 4
    return f"{text} {extra[:room].rstrip()}..." if room > 20 else text
