"""Survey answers grouped by office, category, channel and area: what counts as an answer, integrity grievances
left out on request, only the offices asked for, and rows that add up to the same total whatever the grouping."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from intake.models import Confidentiality, Grievance
from intake.queries import office_by_code
from surveys.models import Survey, SurveyKind, SurveyStatus, SurveyStep
from surveys.results import answers_by, satisfaction
from tests import builders
from tests.conftest import START

SINCE, UNTIL = START - timedelta(days=7), START
_phones = itertools.count(1)


def survey(session, *, office: str, score: int | None, at: datetime = START - timedelta(days=1),
           channel: str = "sms", grievance: Grievance | None = None,
           status: SurveyStatus = SurveyStatus.ANSWERED) -> None:
    """One survey, answered at `at` (sent only, when `status` says so)."""
    number = next(_phones)
    session.add(Survey(key=f"by:{number}", kind=SurveyKind.RESOLUTION if grievance else SurveyKind.DELIVERY,
                       grievance_id=grievance.id if grievance else None, office_id=office_by_code(session, office).id,
                       service=None if grievance else "new_connection", channel=channel,
                       recipient=f"+97798166607{number:02d}", language="en", status=status, step=SurveyStep.DONE,
                       due_at=at, sent_at=at, answered_at=at if status is SurveyStatus.ANSWERED else None,
                       score=score, created_at=at))


@dataclass(frozen=True)
class History:
    water: str  # office ids, as answers_by names them
    roads: str
    integrity_unit: str
    water_supply: str  # category ids
    roads_works: str
    corruption: str


@pytest.fixture
def history(session) -> History:
    """Seven answers in the week, one of them about an integrity grievance, and five that are not answers in it."""
    complaint = builders.grievance(session, now=SINCE - timedelta(days=9), category="water", admin_area="RV-N",
                                   phone="+9779816670001")
    pothole = builders.grievance(session, now=SINCE - timedelta(days=9), category="roads", admin_area="RV-C",
                                 text="A deep pothole on the main road by the bridge", phone="+9779816670002")
    bribe = builders.grievance(session, now=SINCE - timedelta(days=9), category="corruption", admin_area="RV-N",
                               text="The clerk asked me for money to sign my form", phone="+9779816670003")
    assert bribe.confidentiality is Confidentiality.INTEGRITY and complaint.confidentiality is Confidentiality.NORMAL
    survey(session, office="RV-N-WATER", score=4)
    survey(session, office="RV-N-WATER", score=2)
    survey(session, office="RV-C-ROADS", score=3, at=SINCE)  # the first instant counts
    survey(session, office="RV-N-WATER", score=3, channel="telegram", grievance=complaint)
    survey(session, office="RV-C-ROADS", score=1, grievance=pothole)
    survey(session, office="RV-C-ROADS", score=5, channel="telegram", grievance=pothole)
    survey(session, office="RV-OIU", score=2, grievance=bribe)
    survey(session, office="RV-N-WATER", score=5, at=UNTIL)  # the week is over
    survey(session, office="RV-N-WATER", score=5, at=SINCE - timedelta(seconds=1))  # before it
    survey(session, office="RV-N-WATER", score=None)  # answered, but no score: an unclear answer
    survey(session, office="RV-N-WATER", score=None, status=SurveyStatus.SENT)  # waiting for the citizen
    survey(session, office="RV-C-ROADS", score=None, status=SurveyStatus.EXPIRED)
    session.commit()
    return History(*(str(office_by_code(session, code).id) for code in ("RV-N-WATER", "RV-C-ROADS", "RV-OIU")),
                   *(str(g.category_id) for g in (complaint, pothole, bribe)))


def test_answers_and_score_sums_by_office_category_channel_and_area(session, history):
    def by(key: str) -> dict[str, tuple[int, int]]:
        return answers_by(session, by=key, since=SINCE, until=UNTIL, office_ids=None, integrity=True)

    assert by("office") == {history.water: (3, 9), history.roads: (3, 9), history.integrity_unit: (1, 2)}
    assert by("category") == {"": (3, 9), history.water_supply: (1, 3), history.roads_works: (2, 6),
                              history.corruption: (1, 2)}
    assert by("channel") == {"sms": (5, 12), "telegram": (2, 8)}
    assert by("area") == {"": (3, 9), "RV-N": (2, 5), "RV-C": (2, 6)}
    for key in ("office", "category", "channel", "area"):  # sums, not means: every grouping adds up to the total
        rows = by(key).values()
        assert (sum(n for n, _ in rows), sum(s for _, s in rows)) == (7, 20), key


def test_without_integrity_the_answers_about_integrity_grievances_are_left_out(session, history):
    def by(key: str) -> dict[str, tuple[int, int]]:
        return answers_by(session, by=key, since=SINCE, until=UNTIL, office_ids=None, integrity=False)

    assert history.integrity_unit not in by("office") and history.corruption not in by("category")
    assert by("area") == {"": (3, 9), "RV-N": (1, 3), "RV-C": (2, 6)}
    assert by("channel") == {"sms": (4, 10), "telegram": (2, 8)}


def test_only_the_offices_asked_for(session, history):
    water = {int(history.water)}
    assert answers_by(session, by="channel", since=SINCE, until=UNTIL, office_ids=water, integrity=True) == {
        "sms": (2, 6), "telegram": (1, 3)}
    assert answers_by(session, by="office", since=SINCE, until=UNTIL, office_ids=(), integrity=True) == {}


def test_satisfaction_counts_the_same_answers(session, history):
    """One definition of an answer: the satisfaction lines count what answers_by counts."""
    offices = {int(history.water), int(history.roads), int(history.integrity_unit)}
    result = satisfaction(session, office_ids=offices, since=SINCE, until=UNTIL, min_count=1,
                          timezone="Asia/Kathmandu")
    grouped = answers_by(session, by="office", since=SINCE, until=UNTIL, office_ids=offices, integrity=True)
    assert result.total.answered == sum(n for n, _ in grouped.values()) == 7
    assert result.total.mean == round(sum(s for _, s in grouped.values()) / 7, 2)
