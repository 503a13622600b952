"""The tracking page: the public timeline behind a tracking number and its secret, and guessing locked out."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from escalation.models import Deadline, DeadlineKind
from escalation.services import sync
from intake import services
from intake.actors import Actor
from intake.models import ActorType, Grievance, Role, Status
from intake.queries import office_by_code
from routing.services import transfer
from tests.test_portal import FORM


def filed(client) -> tuple[str, str]:
    page = client.post("/complain", data=FORM)
    return (re.search(r'id="tracking">([^<]+)<', page.text).group(1),
            re.search(r'id="secret">([^<]+)<', page.text).group(1))


def test_the_citizen_sees_when_how_and_by_whom_but_no_staff_names_or_notes(client, session, clock):
    number, secret = filed(client)
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    officer = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, office_id=grievance.office_id,
                    name="Ram Bahadur Thapa")
    services.add_note(session, grievance=grievance, actor=officer, now=clock.now, note="internal: call the mayor")
    services.respond(session, grievance=grievance, actor=officer, now=clock.now + timedelta(hours=1),
                     note="A tanker comes tomorrow at 8.")
    sync(session, grievance=grievance, now=clock.now + timedelta(hours=1))  # as every staff action does
    session.commit()

    assert client.get("/track").status_code == 200
    page = client.post("/track", data={"tracking_number": number.lower().replace("-", " "), "secret": secret})
    assert page.status_code == 200 and number in page.text
    assert "Sent to Northbank Water Utility Branch" in page.text
    assert "Northbank Water Utility Branch (officer)" in page.text and "A tanker comes tomorrow at 8." in page.text
    assert "Ram Bahadur" not in page.text and "call the mayor" not in page.text
    assert "Expected resolution by" in page.text and "Expected response by" in page.text
    assert "(answered)" in page.text  # the reply met the first-response deadline
    assert page.text.index("Complaint received") < page.text.index("A tanker comes")  # oldest first
    nepali = client.post("/track", data={"tracking_number": number, "secret": secret, "language": "ne"})
    assert '<html lang="ne">' in nepali.text and "उजुरी प्राप्त भयो" in nepali.text


def test_a_transfer_says_where_it_went_from_and_to_in_the_citizens_language(client, session, clock):
    number, secret = filed(client)
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    water, roads = office_by_code(session, "RV-N-WATER"), office_by_code(session, "RV-N-ROADS")
    water.translations, roads.translations = {"ne": "उत्तरतट खानेपानी शाखा"}, {"ne": "उत्तरतट सडक महाशाखा"}
    officer = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, office_id=water.id, name="Gopal Gurung")
    transfer(session, grievance=grievance, to_office=roads, actor=officer, now=clock.now + timedelta(hours=1),
             note="A burst pipe under the road: roads must dig")
    session.commit()

    page = client.post("/track", data={"tracking_number": number, "secret": secret})
    step = re.search(r"<strong>Transferred from Northbank Water Utility Branch to Northbank Roads and Public Works "
                     r"Division</strong>([^<]*<time>[^<]*</time>[^<]*)", page.text)
    assert step and "Northbank Water Utility Branch (officer)" in step.group(1), page.text  # who sent it
    assert "Gopal" not in page.text  # the office and role decide, never a staff member's name
    nepali = client.post("/track", data={"tracking_number": number, "secret": secret, "language": "ne"})
    assert "उत्तरतट खानेपानी शाखा बाट उत्तरतट सडक महाशाखा मा पठाइयो" in nepali.text


def test_wrong_guesses_look_alike_and_lock_the_number_even_against_the_right_secret(client, clock, settings):
    number, secret = filed(client)
    unknown = client.post("/track", data={"tracking_number": "2222-2222", "secret": secret})
    wrong = client.post("/track", data={"tracking_number": number, "secret": "X" * 16})
    assert unknown.status_code == wrong.status_code == 403
    assert 'role="alert"' in wrong.text and number not in wrong.text.split("</form>")[1]
    for _ in range(settings.track_max_failures - 1):
        client.post("/track", data={"tracking_number": number, "secret": "Y" * 16})
    locked = client.post("/track", data={"tracking_number": number, "secret": secret})
    assert locked.status_code == 429 and "Too many wrong tries" in locked.text
    clock.now = clock.now + timedelta(minutes=settings.track_lockout_minutes + 1)
    assert client.post("/track", data={"tracking_number": number, "secret": secret}).status_code == 200


def test_one_address_guessing_many_numbers_is_locked_out(client, settings, monkeypatch):
    monkeypatch.setattr(settings, "track_ip_max_failures", 3)
    number, secret = filed(client)
    for guess in ("2222-2222", "3333-3333", "4444-4444"):
        client.post("/track", data={"tracking_number": guess, "secret": "Z" * 16})
    assert client.post("/track", data={"tracking_number": number, "secret": secret}).status_code == 429


def act(client, number: str, secret: str, action: str, text: str = "", **extra):
    return client.post("/track/act", data={"tracking_number": number, "secret": secret, "action": action,
                                           "text": text, **extra})


def test_the_citizen_adds_information_and_asks_a_higher_office_once_the_silence_deadline_passed(client, session,
                                                                                                 clock):
    number, secret = filed(client)
    page = client.post("/track", data={"tracking_number": number, "secret": secret})
    assert page.headers["cache-control"] == "no-store" and 'name="action" value="add"' in page.text
    assert 'value="escalate"' in page.text  # offered while unanswered; the answer says when it is possible
    added = act(client, number, secret, "add", "The pipe is broken near the temple.")
    assert added.status_code == 200 and "Your information is added" in added.text
    assert "You added information" in added.text and "The pipe is broken near the temple." in added.text

    early = act(client, number, secret, "escalate")
    assert "The office has until" in early.text
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    clock.now = clock.now + timedelta(days=5)  # past the first-response deadline, unanswered
    late = act(client, number, secret, "escalate")
    assert "Escalation requested" in late.text
    session.expire_all()
    due = session.scalar(select(Deadline).where(Deadline.grievance_id == grievance.id,
                                                Deadline.kind == DeadlineKind.FIRST_RESPONSE))
    assert due.next_at <= clock.now  # the sweep climbs it at its next run

    assert act(client, number, "W" * 16, "add", "sneaky").status_code == 403  # each action needs the secret
    assert act(client, number, secret, "delete").status_code == 422
    assert act(client, number, secret, "add", "   ").status_code == 422  # an empty addition is refused


def test_the_citizen_reopens_a_resolution_with_a_reason_then_confirms_the_next(client, session, clock):
    number, secret = filed(client)
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    officer = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, office_id=grievance.office_id, name="Officer")

    def resolve(hours: int) -> None:
        services.resolve(session, grievance=grievance, actor=officer, now=clock.now + timedelta(hours=hours),
                         note="The pipe is repaired.")
        sync(session, grievance=grievance, now=clock.now + timedelta(hours=hours))
        session.commit()

    resolve(2)
    clock.now = clock.now + timedelta(hours=3)
    page = client.post("/track", data={"tracking_number": number, "secret": secret})
    assert 'value="confirm"' in page.text and 'value="reopen"' in page.text and 'value="add"' not in page.text
    assert act(client, number, secret, "reopen", "").status_code == 422  # a reason is needed
    reopened = act(client, number, secret, "reopen", "Still no water at all.")
    assert "reopened" in reopened.text and "Still no water at all." in reopened.text
    session.expire_all()
    assert grievance.status is Status.IN_PROGRESS and grievance.reopen_count == 1

    resolve(5)
    clock.now = clock.now + timedelta(hours=6)
    closed = act(client, number, secret, "confirm")
    assert closed.status_code == 200 and "Your complaint is closed" in closed.text
    assert 'name="action"' not in closed.text  # nothing more to do on a closed complaint
    session.expire_all()
    assert grievance.status is Status.CLOSED
    assert act(client, number, secret, "reopen", "again").status_code == 422  # closed stays closed


def test_a_request_for_information_puts_the_resolution_date_on_hold_until_the_citizen_answers(client, session,
                                                                                             clock):
    number, secret = filed(client)
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    officer = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, office_id=grievance.office_id, name="Officer")
    services.request_info(session, grievance=grievance, actor=officer, now=clock.now, note="Which ward exactly?")
    sync(session, grievance=grievance, now=clock.now)
    session.commit()
    waiting = client.post("/track", data={"tracking_number": number, "secret": secret})
    assert "Waiting for your answer" in waiting.text and "Which ward exactly?" in waiting.text
    assert "(on hold while the office waits for your answer)" in waiting.text
    answered = act(client, number, secret, "add", "Ward 4, near the temple.")
    assert "on hold" not in answered.text and "Being worked on" in answered.text
