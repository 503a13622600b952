"""The demo: a fictional province's directory, its staff logins and an API key, for `make run`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from channels.accept import accept
from dashboards.meeting import last_complete_week
from dashboards.models import ActionItem, ActionStatus
from directory.services import load_file
from escalation.services import sync
from intake import services
from intake.accounts import create_api_key, hash_password, revoke_api_keys, upsert_staff
from intake.actors import SYSTEM, Actor
from intake.models import ActorType, Channel, Role
from intake.queries import office_by_code, staff_logins
from intake.schemas import GrievanceDraft
from routing.registry import ActiveModel
from surveys.models import Survey, SurveyKind, SurveyStatus, SurveyStep

DIRECTORY = Path(__file__).parent / "demo_directory.toml"
STAFF = Path(__file__).parent / "demo_staff.toml"
DEMO_PASSWORD = "redress-demo"  # noqa: S105 - printed on purpose: demo accounts only
DEMO_KEY_NAME = "demo-admin"
ROOT = "RV"


@dataclass
class Demo:
    loaded_now: bool  # False when an earlier run had loaded it: edits made since are kept
    logins: list[tuple[str, str, str]]  # office code, username, role
    api_key: str


def load_demo(session: Session, *, now: datetime) -> Demo:
    """Load the demo directory once, and issue a fresh demo admin key (revoking the previous one)."""
    root = office_by_code(session, ROOT)
    loaded_now = root is None
    if loaded_now:
        load_file(session, path=DIRECTORY, actor="demo", now=now)
        load_staff(session, now=now)
        root = office_by_code(session, ROOT)
        if root is None:
            raise RuntimeError(f"the demo directory has no root office {ROOT}")
    revoke_api_keys(session, name=DEMO_KEY_NAME, now=now)
    issued = create_api_key(session, name=DEMO_KEY_NAME, role=Role.ADMIN, office=root, now=now)
    return Demo(loaded_now=loaded_now, logins=staff_logins(session), api_key=issued.secret)


def load_staff(session: Session, *, now: datetime) -> None:
    """The demo's staff accounts, all with the demo password (one hash serves them all: hashing is slow)."""
    password_hash = hash_password(DEMO_PASSWORD)
    for row in tomllib.loads(STAFF.read_text(encoding="utf-8"))["staff"]:
        office = office_by_code(session, row["office"])
        if office is None:
            raise RuntimeError(f"demo staff {row['username']}: no office {row['office']}")
        upsert_staff(session, username=row["username"], display_name=row["name"], role=Role(row["role"]),
                     office=office, password_hash=password_hash, now=now)


# (days ago, text, phone or None, channel, answered by the office two hours later). Older ones carry no
# phone: their acknowledgement would be older than the outbox's 72 hours and never leave.
DEMO_GRIEVANCES = [
    (6.0, "No water in our tole for four days, Northbank ward 3, the tap is completely dry", None, Channel.WEB, False),
    (5.0, "Streetlight broken near the temple in Southvale for a month, it is dark and unsafe", None, Channel.WEB,
     True),
    (4.0, "garbage not collected for two weeks in Riverton, bins overflowing and stinking", None, Channel.CALL_CENTRE,
     False),
    (2.0, "big potholes on the main road near the school in Northbank, bikes are falling", "+9779800000004",
     Channel.SMS, False),
    (1.5, "my old age pension has not been paid for three months, Southvale", "+9779800000005", Channel.SMS, True),
    (0.5, "हाम्रो टोलमा तीन दिनदेखि पानी आएको छैन, उत्तरकिनार वडा ५", "+9779800000006", Channel.SMS, False),
]
OFFICE_DEMO = Actor(type=ActorType.STAFF, id="demo", name="Demo officer")


def seed_grievances(session: Session, *, now: datetime, model: ActiveModel | None) -> int:
    """A few complaints of the last week, some answered, so the inbox, the clocks and the ladder have work."""
    for days, text, phone, channel, answered in DEMO_GRIEVANCES:
        received = now - timedelta(days=days)
        actor = Actor(type=ActorType.CITIZEN) if phone else SYSTEM
        grievance = accept(session, draft=GrievanceDraft(text=text, phone=phone, channel=channel), actor=actor,
                           now=received, region="NP", model=model).grievance
        if answered and grievance.office is not None:
            services.acknowledge(session, grievance=grievance, actor=OFFICE_DEMO, now=received + timedelta(hours=2),
                                 note="We have it and will visit this week.")
            sync(session, grievance=grievance, now=received + timedelta(hours=2))
    seed_meeting(session, now=now)
    return len(DEMO_GRIEVANCES)


# The last ten weeks, answered and resolved (no phones: nothing is sent), so the dashboards and the public
# responsiveness pages have figures: (category, area, text, hours to a first answer, days to resolve, score).
# Each office keeps its own pace, so the league table has a top and a bottom.
DEMO_HISTORY = [
    ("water", "RV-N", "No water from the public tap in Northbank for days", 6, 4, 4),
    ("roads", "RV-N", "Potholes on the Northbank school road", 30, 12, 2),
    ("electricity", "RV-S", "Streetlights out on the Southvale market road", 3, 2, 5),
    ("waste", "RV-C", "Garbage not collected in Central ward 2", 60, 9, 2),
    ("water", "RV-C", "Low water pressure in Central every evening", 12, 5, 3),
]
HISTORY_EACH = 14  # grievances per line above: 70 in all, above the minimum count per office


def seed_history(session: Session, *, now: datetime, model: ActiveModel | None) -> int:
    """Ten weeks of settled grievances at each office's own pace, and their survey answers."""
    filed = 0
    for category, area, text, answer_hours, resolve_days, score in DEMO_HISTORY:
        for n in range(HISTORY_EACH):
            received = now - timedelta(days=8 + n * 4.5, hours=n % 5)
            draft = GrievanceDraft(text=f"{text} ({n + 1})", category=category, admin_area=area, channel=Channel.WEB)
            grievance = accept(session, draft=draft, actor=SYSTEM, now=received, region="NP", model=model).grievance
            if grievance.office is None:
                continue
            answered = received + timedelta(hours=answer_hours * (0.5 + (n % 4) / 2))
            services.acknowledge(session, grievance=grievance, actor=OFFICE_DEMO, now=answered,
                                 note="We have it and will visit.")
            sync(session, grievance=grievance, now=answered)
            resolved = received + timedelta(days=resolve_days * (0.6 + (n % 3) / 3))
            services.resolve(session, grievance=grievance, actor=OFFICE_DEMO, now=resolved,
                             note="Done: the crew fixed it.")
            sync(session, grievance=grievance, now=resolved)
            session.add(Survey(key=f"demo:{grievance.id}", kind=SurveyKind.RESOLUTION, grievance_id=grievance.id,
                               office_id=grievance.office_id, channel="sms", recipient="demo", language="en",
                               status=SurveyStatus.ANSWERED, step=SurveyStep.DONE, due_at=resolved,
                               sent_at=resolved, answered_at=resolved + timedelta(hours=3),
                               score=max(1, min(5, score + (n % 3) - 1)), created_at=resolved))
            filed += 1
    return filed


# Last week's complaint meetings decided these; this week's packs carry them over.
DEMO_ACTIONS = [
    ("RV-N", "RV-N-WATER", "Inspect the pumps that feed Northbank ward 3 and report why the taps run dry", 3),
    ("RV-N", "RV-N-ROADS", "Patch the potholes on the school road before the rains", 10),
    ("RV", "RV-N", "Bring the Northbank district's unanswered complaints under the deadline", 5),
]


def seed_meeting(session: Session, *, now: datetime) -> None:
    """Open action items from last week's meetings of the province and the Northbank district."""
    for meeting_code, owner_code, text, due_in_days in DEMO_ACTIONS:
        meeting_office, owner = office_by_code(session, meeting_code), office_by_code(session, owner_code)
        if meeting_office is None or owner is None:
            continue
        last_week = last_complete_week(now, timezone=meeting_office.timezone)  # on the office's calendar
        session.add(ActionItem(meeting_office_id=meeting_office.id, week=last_week, text=text,
                               owner_office_id=owner.id, due_on=(now + timedelta(days=due_in_days)).date(),
                               status=ActionStatus.OPEN, created_at=now - timedelta(days=7),
                               created_by="Demo meeting"))
