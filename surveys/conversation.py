"""A survey as a short conversation: Q1 the score, Q2 what went wrong (score ≤ 2), Q3 extra payment.

`answer` moves one survey on by one reply and says what the citizen is told next and which grievance
(if any) the answer opens; the channel that received the reply opens it, since filing and routing
sit above this package. One unclear answer gets one clarifying question; a second closes the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.i18n import say
from surveys.models import Survey, SurveyKind, SurveyStatus, SurveyStep
from surveys.replies import Kind, parse_score, parse_yes_no

LOW = 2  # a score at or below this asks what went wrong and opens a grievance


class Opens(StrEnum):
    FOLLOWUP = "followup"  # a grievance routed to the office concerned
    INTEGRITY = "integrity"  # an integrity grievance for oversight, never the office
    REOPEN = "reopen"  # the resolved grievance goes back to work


@dataclass(frozen=True)
class Answer:
    taken: bool  # False: the text answers nothing here (a new complaint, say); the survey is unchanged
    reply: str | None = None
    buttons: list[list[str]] | None = None
    opens: Opens | None = None
    text: str | None = None  # the citizen's words for the grievance it opens


def is_open(survey: Survey) -> bool:
    return survey.status is SurveyStatus.SENT and survey.step is not SurveyStep.DONE


def answer(survey: Survey, *, text: str, now: datetime, ask_payment: bool, from_button: bool = False) -> Answer:
    """Take one reply (typed, or a button's value) for the survey's current question."""
    if survey.step is SurveyStep.SCORE:
        return _score(survey, text, now=now, ask_payment=ask_payment, from_button=from_button)
    if survey.step is SurveyStep.WHAT_WRONG:
        return _what_wrong(survey, text, now=now, ask_payment=ask_payment)
    if survey.step is SurveyStep.PAYMENT:
        return _payment(survey, text, now=now)
    return Answer(taken=False)


def _score(survey: Survey, text: str, *, now: datetime, ask_payment: bool, from_button: bool) -> Answer:
    reply = parse_score(text)
    if reply.kind is Kind.TEXT and not from_button:
        return Answer(taken=False)
    if reply.kind is not Kind.SCORE:
        if survey.clarified:
            survey.comment = text.strip()[:2000] or None
            return _done(survey, now)
        survey.clarified = True
        return Answer(True, clarify_score(survey.language), buttons=score_buttons(survey.id, survey.channel))
    survey.score = reply.score
    survey.answered_at = now
    survey.clarified = False
    if reply.score is not None and reply.score <= LOW:
        survey.step = SurveyStep.WHAT_WRONG
        question = (say(survey.language, "Sorry. What is still wrong? Your complaint will be reopened.")
                    if survey.kind is SurveyKind.RESOLUTION else
                    say(survey.language, "Sorry to hear that. What went wrong? Reply in a few words."))
        return Answer(True, question)
    return _next_after_what_wrong(survey, now=now, ask_payment=ask_payment)


def _what_wrong(survey: Survey, text: str, *, now: datetime, ask_payment: bool) -> Answer:
    words = " ".join(text.split())
    if not words:
        return Answer(True, say(survey.language, "Please tell us in a few words what went wrong."))
    survey.comment = words[:2000]
    opens = Opens.REOPEN if survey.kind is SurveyKind.RESOLUTION else Opens.FOLLOWUP
    after = _next_after_what_wrong(survey, now=now, ask_payment=ask_payment, thank=False)
    return Answer(True, after.reply, buttons=after.buttons, opens=opens, text=words)


def _next_after_what_wrong(survey: Survey, *, now: datetime, ask_payment: bool, thank: bool = True) -> Answer:
    if ask_payment and survey.kind is SurveyKind.DELIVERY:
        survey.step = SurveyStep.PAYMENT
        return Answer(True, payment_question(survey.language),
                      buttons=yes_no_buttons(survey.id, survey.channel, survey.language))
    done = _done(survey, now)
    return done if thank else Answer(True, None)


def _payment(survey: Survey, text: str, *, now: datetime) -> Answer:
    reply = parse_yes_no(text)
    if reply.kind in (Kind.YES, Kind.NO):
        survey.paid = reply.kind is Kind.YES
        if survey.paid:
            _done(survey, now)
            return Answer(True, None, opens=Opens.INTEGRITY, text=text.strip()[:2000])
        return _done(survey, now)
    if survey.clarified:
        return _done(survey, now)
    survey.clarified = True
    return Answer(True, say(survey.language, "Please reply YES or NO: were you asked for extra payment?"),
                  buttons=yes_no_buttons(survey.id, survey.channel, survey.language))


def _done(survey: Survey, now: datetime) -> Answer:
    survey.step = SurveyStep.DONE
    survey.status = SurveyStatus.ANSWERED
    survey.answered_at = survey.answered_at or now
    return Answer(True, say(survey.language, "Thank you for your answer."))


def clarify_score(language: str) -> str:
    return say(language, "Please reply with one number from 1 (very bad) to 5 (very good).")


def payment_question(language: str) -> str:
    return say(language, "Were you asked for any extra payment? Reply YES or NO. The answer goes to the oversight "
               "office, not to the office you visited.")


def score_buttons(survey_id: int, channel: str) -> list[list[str]] | None:
    """Telegram's answer buttons 1 to 5 (SMS has none)."""
    if channel != "telegram":
        return None
    return [[str(n), f"sv:{survey_id}:{n}"] for n in range(1, 6)]


def yes_no_buttons(survey_id: int, channel: str, language: str) -> list[list[str]] | None:
    if channel != "telegram":
        return None
    return [[say(language, "Yes"), f"sv:{survey_id}:yes"], [say(language, "No"), f"sv:{survey_id}:no"]]
