"""The citizens' portal in a real browser on a phone-sized screen: complain in Nepali, then follow it."""

from __future__ import annotations

import re

from tests.e2e.test_staff_browser import UNLABELLED, shot


def test_a_citizen_complains_from_a_small_phone_in_nepali(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/complain")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_role("link", name="नेपाली").click()
    page.wait_for_url("**/complain?lang=ne")
    assert page.locator("html").get_attribute("lang") == "ne"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    page.get_by_label("के भयो?").fill("वडा ४ मा तीन दिनदेखि खानेपानी आएको छैन")
    page.get_by_label("तपाईंको मोबाइल नम्बर (ऐच्छिक)").fill("9812000888")
    shot(page, "portal-01-form")
    page.get_by_role("button", name="मेरो उजुरी पठाउनुहोस्").click()
    page.wait_for_url("**/complain")
    assert page.locator("h1").inner_text() == "तपाईंको उजुरी प्राप्त भयो"
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", page.locator("#tracking").inner_text())
    number, secret = page.locator("#tracking").inner_text(), page.locator("#secret").inner_text()
    assert len(secret) >= 16
    shot(page, "portal-02-received")

    page.goto("/track?lang=en")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("Tracking number").fill(number.lower())
    page.get_by_label("Secret code").fill(secret)
    page.get_by_label("Secret code").press("Enter")
    page.wait_for_url("**/track")
    assert page.locator("h1").inner_text() == number
    assert "Complaint received" in page.locator("ol.timeline").inner_text()
    assert page.evaluate(UNLABELLED) == []
    shot(page, "portal-03-tracked")
    page.get_by_label("Add information").fill("The pipe is broken near the temple.")
    page.get_by_role("button", name="Add information").click()
    page.wait_for_url("**/track/act")
    assert "Your information is added" in page.locator("[role=status]").inner_text()
    assert "The pipe is broken near the temple." in page.locator("ol.timeline").inner_text()


def test_a_citizen_reopens_a_resolution_they_do_not_accept(browser_page, live):
    from sqlalchemy import select

    from core.clock import utcnow
    from core.db import make_engine, make_sessionmaker, transaction
    from intake import services
    from intake.actors import Actor
    from intake.models import ActorType, Grievance, Role

    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/complain?lang=en")
    page.get_by_label("What happened?").fill("The street light outside house 12 in Northbank ward 3 is broken")
    page.get_by_role("button", name="Send my complaint").click()
    number, secret = page.locator("#tracking").inner_text(), page.locator("#secret").inner_text()

    engine = make_engine(live[1])  # the office resolves it
    try:
        with transaction(make_sessionmaker(engine)) as session:
            grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
            if grievance.office is None:
                from intake.queries import office_by_code
                from routing.services import transfer

                transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N"), now=utcnow(),
                         actor=Actor(type=ActorType.STAFF, id="1", role=Role.OPERATOR, name="Triage"), note="test")
                session.flush()
            officer = Actor(type=ActorType.STAFF, id="1", role=Role.OFFICER, office_id=grievance.office_id,
                            name="Officer")
            services.resolve(session, grievance=grievance, actor=officer, now=utcnow(), note="The lamp was replaced.")
    finally:
        engine.dispose()

    page.goto("/track?lang=en")
    page.get_by_label("Tracking number").fill(number)
    page.get_by_label("Secret code").fill(secret)
    page.get_by_role("button", name="Show my complaint").click()
    assert "The lamp was replaced." in page.locator("ol.timeline").inner_text()
    page.get_by_label("What is still wrong?").fill("It is dark again since yesterday.")
    page.get_by_role("button", name="It is not solved: reopen it").click()
    page.wait_for_url("**/track/act")
    assert "Your complaint is reopened" in page.locator("[role=status]").inner_text()
    assert "It is dark again since yesterday." in page.locator("ol.timeline").inner_text()
    shot(page, "portal-04-reopened")


def test_the_public_responsiveness_page_reads_on_a_phone(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/public?lang=en")
    assert page.locator("h1").inner_text() == "How responsive are our offices?"
    assert page.evaluate(UNLABELLED) == []
    league = page.locator("table").first.inner_text()
    assert "Southvale Electricity Distribution Centre" in league and " h" in league  # the demo's ten weeks
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # tables scroll inside
    shot(page, "public-01-league")
    page.get_by_role("link", name="Southvale Electricity Distribution Centre").click()
    assert "Month by month" in page.locator("main").inner_text()
    shot(page, "public-02-office")
