"""Staff pages in a real browser: sign in by keyboard, work a demo grievance to resolution, small screens."""

from __future__ import annotations

import re

from tests.e2e.conftest import SCREENSHOTS

DEMO_PASSWORD = "redress-demo"  # noqa: S105 - the demo's printed password

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""


def sign_in(page, username: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/inbox")


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_an_officer_signs_in_by_keyboard_and_works_a_grievance_to_resolution(browser_page):
    page = browser_page
    page.goto("/staff")
    assert page.url.endswith("/staff/login?next=%2Fstaff%2Finbox")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "01-sign-in")
    page.keyboard.type("rv-n-water.officer")  # the username field has focus
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/inbox")
    assert page.context.cookies()[0]["name"].startswith("__Host-")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "02-inbox")
    row = page.locator("tbody tr", has_text="No water in our tole")
    number = row.locator("a").first.inner_text()
    row.locator("a").first.click()
    page.wait_for_url(f"**/staff/grievances/{number}")
    assert page.locator("h1").inner_text().startswith(number)
    assert page.evaluate(UNLABELLED) == []
    shot(page, "03-grievance")

    page.get_by_text("Acknowledge", exact=True).first.click()  # opens the <details>
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url("**done=acknowledge")
    page.get_by_text("Reply to the citizen", exact=True).first.click()
    page.get_by_label("Start from a standard reply").select_option(label="Tanker on its way (en)")
    reply = page.get_by_label("Reply (sent on the citizen’s channel")
    assert "water tanker will come" in reply.input_value()  # copied in to be edited
    reply.fill("A tanker will come tomorrow morning.")
    page.get_by_role("button", name="Reply to the citizen").click()
    page.wait_for_url("**done=respond")
    assert "Your reply is on its way" in page.locator("[role=status]").inner_text()
    page.get_by_text("Resolve", exact=True).first.click()
    page.get_by_label("What was done (the citizen sees this)").fill("The valve at ward 3 was replaced.")
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_url("**done=resolve")
    assert "Resolved" in page.locator("h1").inner_text()
    timeline = page.locator("ol.timeline").inner_text()
    assert "Replied to the citizen" in timeline and "A tanker will come tomorrow morning." in timeline
    shot(page, "04-resolved")

    page.goto("/staff/inbox")
    assert number not in page.locator("tbody").inner_text() if page.locator("tbody").count() else True
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/login")
    page.goto(f"/staff/grievances/{number}")
    assert "/staff/login" in page.url  # signed out on the server, not only in the browser


def test_staff_pages_fit_a_small_screen(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, "rv-n.head")
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
    assert page.evaluate(fits)
    shot(page, "05-inbox-phone")
    page.locator("tbody a").first.click()
    page.wait_for_url(re.compile(r".*/staff/grievances/.+"))
    assert page.evaluate(fits)
    shot(page, "06-grievance-phone")


def test_a_manager_drills_down_from_the_province_to_an_office(browser_page):
    page = browser_page
    sign_in(page, "rv.manager")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/staff/dashboard")
    assert page.locator("h1").inner_text().startswith("Riverlands Province")
    assert page.get_by_role("img").count() >= 1  # the weekly chart, drawn on the server, with a text alternative
    assert page.evaluate(UNLABELLED) == []
    shot(page, "07-dashboard-province")
    page.locator("#offices ~ div a", has_text="Northbank").first.click()
    page.wait_for_url("**office=RV-N**")
    assert "Northbank" in page.locator("h1").inner_text()
    page.locator("#offices ~ div a", has_text="Water").first.click()
    page.wait_for_url("**office=RV-N-WATER**")
    assert "Water" in page.locator("h1").inner_text()
    crumbs = page.get_by_role("navigation", name="Office tree").inner_text()
    assert "Northbank" in crumbs
    shot(page, "08-dashboard-office")
    with page.expect_download() as download:
        page.locator("#offices ~ p a", has_text="CSV").click()
    assert download.value.suggested_filename.startswith("redress-offices-RV-N-WATER")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_head_produces_this_weeks_meeting_pack_and_records_a_decision(browser_page):
    page = browser_page
    sign_in(page, "rv-n.head")
    page.get_by_role("link", name="Weekly meeting").click()
    page.wait_for_url("**/staff/meeting")
    assert page.locator("h1").inner_text().startswith("Weekly complaint meeting")
    for heading in ("What came in", "Who stayed silent", "What escalated", "action items", "Decided this week"):
        assert page.get_by_role("heading", name=re.compile(heading)).count() == 1
    assert page.evaluate(UNLABELLED) == []
    assert "Inspect the pumps" in page.locator("#carried ~ table").inner_text()  # last week's demo decision
    page.get_by_label("Action", exact=True).fill("Send a crew to check every tap in ward 3")
    page.get_by_label("Owner office").select_option(label="Northbank Water Utility Branch")
    page.get_by_label("Due").fill("2030-01-15")
    page.get_by_role("button", name="Record the action item").click()
    page.wait_for_url("**#decided")
    assert "Send a crew to check every tap in ward 3" in page.locator("#decided ~ ul").inner_text()
    page.emulate_media(media="print")
    assert page.locator("header").is_hidden() and page.locator("form.record-item").is_hidden()
    page.pdf(path=str(SCREENSHOTS / "10-meeting-pack.pdf"))
    page.emulate_media(media="screen")
    shot(page, "09-meeting-pack")
