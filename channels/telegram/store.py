"""The bot's reads and writes of the grievance store: plain functions, each its own transaction.

aiogram handlers are coroutines and the store is synchronous, so handlers call these in a worker
thread (asyncio.to_thread); nothing here knows about aiogram.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channels import news, survey_answers
from channels.accept import accept
from channels.survey_answers import Taken
from core.db import transaction
from core.i18n import say
from core.settings import Settings
from escalation.services import sync
from intake import citizens, services
from intake.actors import citizen_actor
from intake.models import Channel, Grievance, Status
from intake.normalise import phone_e164
from intake.schemas import GrievanceDraft
from intake.tracking import InvalidTrackingNumber, parse
from routing.registry import Classifiers
from routing.services import Policy
from surveys.models import Survey

LISTED = 5


@dataclass(frozen=True)
class Store:
    """What the bot's handlers need from the app: the database, the clock and the routing model."""

    factory: sessionmaker[Session]
    clock: Callable[[], datetime]
    classifiers: Classifiers
    policy: Policy
    region: str = "NP"
    timezone: str = "UTC"
    ask_payment: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, *, factory: sessionmaker[Session], clock: Callable[[], datetime],
                      classifiers: Classifiers, policy: Policy) -> Store:
        return cls(factory=factory, clock=clock, classifiers=classifiers, policy=policy, region=settings.default_region,
                   timezone=settings.timezone, ask_payment=settings.survey_payment_question)

    def language(self, chat_id: int) -> str | None:
        """The language the citizen chose, if they are known."""
        with transaction(self.factory) as session:
            citizen = citizens.citizen_by_chat(session, chat_id)
            return citizen.language if citizen else None

    def set_language(self, chat_id: int, language: str) -> None:
        with transaction(self.factory) as session:
            citizen = services.find_or_create_citizen(session, phone=None, chat_id=chat_id, name=None,
                                                      language=language, now=self.clock())
            assert citizen is not None

    def link_phone(self, chat_id: int, phone: str) -> str:
        """Link the phone the user shared (their own, as Telegram vouches) to this chat; returns it in E.164."""
        with transaction(self.factory) as session:
            number = phone_e164(phone, region=self.region)
            citizens.link_telegram(session, chat_id=chat_id, phone=number, now=self.clock())
            return number

    def file(self, *, chat_id: int, key: str, text: str, place: str | None, photo: str | None, name: str | None,
             language: str) -> Filed:
        """Accept the complaint once per draft `key`: a second tap on Send returns the first grievance."""
        with transaction(self.factory) as session:
            draft = GrievanceDraft(text=text, name=name, channel=Channel.TELEGRAM, language=language,
                                   location_text=place)
            now = self.clock()
            known = citizens.citizen_by_chat(session, chat_id)
            result = accept(session, draft=draft, actor=citizen_actor(known.id if known else None), now=now,
                            region=self.region,
                            idempotency=("telegram", key), telegram_chat_id=chat_id,
                            model=self.classifiers.active(session), policy=self.policy,
                            evidence={"telegram_photo": photo} if photo else None)  # Telegram keeps the file
            grievance = result.grievance
            office = grievance.office.name if grievance.office else None
            return Filed(tracking=grievance.tracking_number, office=office, secret=result.secret)

    def mine(self, chat_id: int, language: str) -> list[str]:
        """One line per grievance of this citizen on any channel, open ones first."""
        with transaction(self.factory) as session:
            citizen = citizens.citizen_by_chat(session, chat_id)
            if citizen is None:
                return []
            grievances = session.scalars(
                select(Grievance).where(Grievance.citizen_id == citizen.id)
                .order_by(Grievance.status.in_(services.OPEN_STATUSES).desc(), Grievance.id.desc())
                .limit(LISTED)).all()
            return [news.headline(g, language=language, timezone=self.timezone) for g in grievances]

    def status(self, chat_id: int, asked: str, language: str) -> str:
        """News of one of the citizen's own grievances; someone else's number looks like one that does not exist."""
        try:
            number = parse(asked)
        except InvalidTrackingNumber:
            return say(language, "{text} is not a tracking number we gave out; please check it for a typo. "
                       "It looks like K7MQ-4QXD.", text=asked[:12])
        with transaction(self.factory) as session:
            citizen = citizens.citizen_by_chat(session, chat_id)
            grievance = None if citizen is None else session.scalar(
                select(Grievance).where(Grievance.tracking_number == number, Grievance.citizen_id == citizen.id))
            if grievance is None:
                return say(language, "We found no complaint {tracking} from this chat. Please check the number.",
                           tracking=number)
            update = news.last_update(session, grievance, language=language)
            headline = news.headline(grievance, language=language, timezone=self.timezone)
            return f"{headline}\n{update}" if update else headline

    def answer_office(self, chat_id: int, text: str) -> str | None:
        """Add the text to the citizen's grievance an office asked a question about; its tracking number, or None."""
        with transaction(self.factory) as session:
            citizen = citizens.citizen_by_chat(session, chat_id)
            if citizen is None:
                return None
            grievance = session.scalar(
                select(Grievance).where(Grievance.citizen_id == citizen.id,
                                        Grievance.status == Status.AWAITING_CITIZEN)
                .order_by(Grievance.updated_at.desc()).limit(1))
            if grievance is None:
                return None
            now = self.clock()
            services.add_citizen_info(session, grievance=grievance, actor=citizen_actor(citizen.id), now=now,
                                      text=text)
            sync(session, grievance=grievance, now=now)  # the answer restarts the office's clock
            return grievance.tracking_number


    def survey_reply(self, chat_id: int, text: str, *, survey_id: int | None = None,
                     from_button: bool = False) -> Taken:
        """An answer to the chat's open survey (or to the one a button belongs to); not taken if there is none."""
        with transaction(self.factory) as session:
            if survey_id is not None:
                survey = session.get(Survey, survey_id)
            else:
                survey = survey_answers.open_survey(session, channel="telegram", recipient=str(chat_id))
            if survey is None or survey.channel != "telegram" or survey.recipient != str(chat_id):
                return Taken(False)
            context = survey_answers.SurveyContext(region=self.region, ask_payment=self.ask_payment,
                                                   model=self.classifiers.active(session), policy=self.policy)
            taken = survey_answers.take(session, survey=survey, text=text, now=self.clock(), context=context,
                                        from_button=from_button)
            return Taken(taken.taken, taken.reply, taken.buttons)


@dataclass(frozen=True)
class Filed:
    tracking: str
    office: str | None
    secret: str | None  # None when this draft was filed before (a repeated tap)
