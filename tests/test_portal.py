"""The citizens' web portal: a complaint filed from a plain HTML form, in the citizen's language."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.outbox import OutboxMessage
from intake.models import Channel, Grievance

FORM = {"text": "No water in Northbank ward 4 for three days", "category": "water", "area": "RV-N",
        "name": "Sita", "phone": "9812000777", "language": "en", "submission": "a" * 24}


def grievances(session) -> int:
    return session.scalar(select(func.count()).select_from(Grievance))


def test_the_form_works_without_javascript_in_each_language(client):
    page = client.get("/complain")
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert '<form method="post" action="/complain">' in page.text and "<script" not in page.text
    assert re.search(r'<label for="text">[^<]+</label>\s*<textarea id="text" name="text" required', page.text)
    assert 'name="submission" value="' in page.text and "Who sees what" in page.text
    nepali = client.get("/complain?lang=ne")
    assert '<html lang="ne">' in nepali.text and "उजुरी" in nepali.text
    assert '<html lang="ne">' in client.get("/complain", headers={"Accept-Language": "ne-NP,en;q=0.5"}).text


def test_a_complaint_gets_a_tracking_number_and_a_secret_shown_once(client, session):
    before = grievances(session)
    page = client.post("/complain", data=FORM)
    assert page.status_code == 200
    number = re.search(r'id="tracking">([0-9A-Z]{4}-[0-9A-Z]{4})<', page.text).group(1)
    secret = re.search(r'id="secret">([^<]+)<', page.text).group(1)
    assert len(secret) >= 16 and "Northbank Water Utility Branch" in page.text
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    assert grievance.channel is Channel.WEB and grievance.citizen.phone == "+9779812000777"
    assert grievances(session) == before + 1
    sms = session.scalars(select(OutboxMessage).where(OutboxMessage.grievance_id == grievance.id)).all()
    assert any(number in message.body for message in sms), "the SMS acknowledgement carries the number"

    again = client.post("/complain", data=FORM)  # a double tap, or the browser resending the form
    assert again.status_code == 200 and number in again.text and secret not in again.text
    assert "already received" in again.text
    session.expire_all()
    assert grievances(session) == before + 1


def test_a_refused_complaint_keeps_what_was_typed_and_stores_nothing(client, session):
    before = grievances(session)
    empty = client.post("/complain", data={**FORM, "text": "   ", "submission": "b" * 24})
    assert empty.status_code == 422 and 'role="alert"' in empty.text and 'value="Sita"' in empty.text
    bad_phone = client.post("/complain", data={**FORM, "phone": "12", "submission": "c" * 24})
    assert bad_phone.status_code == 422 and 'id="phone"' in bad_phone.text and 'aria-invalid="true"' in bad_phone.text
    assert FORM["text"] in bad_phone.text
    too_long = client.post("/complain", data={**FORM, "name": "x" * 5000, "submission": "d" * 24})
    assert too_long.status_code == 422 and "too long" in too_long.text
    hostile = client.post("/complain", data={**FORM, "text": "<script>alert(1)</script>", "phone": "12",
                                             "submission": "e" * 24})
    assert "<script>alert(1)" not in hostile.text and "&lt;script&gt;" in hostile.text
    session.expire_all()
    assert grievances(session) == before


def test_anonymous_and_without_a_phone_is_allowed(client, session):
    page = client.post("/complain", data={**FORM, "phone": "", "name": "", "anonymous": "1",
                                          "category": "", "submission": "f" * 24})
    assert page.status_code == 200 and re.search(r'id="secret">[^<]+<', page.text)
    assert "SMS" not in page.text  # no number given, so no promise of news by SMS
