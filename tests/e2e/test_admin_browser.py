"""Issue 20 in a real browser: an administrator adds a category, an office and an account for it; the new officer
sets a password with the one-time link and finds in the inbox a grievance routed to the new office."""

from __future__ import annotations

import re

import httpx

from tests.e2e.test_staff_browser import UNLABELLED, shot, sign_in

NEW_PASSWORD = "parks-and-swings-2030"  # noqa: S105 - the test's own account
SAVED = re.compile(r"Saved as directory version \d+: 1 added, 0 changed, 0 retired\.")


def labelled(page) -> None:
    """Every form control on the page has a label (the staff pages' accessibility rule)."""
    assert page.evaluate(UNLABELLED) == [], page.url


def sign_in_as(page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/inbox")


def test_an_admin_sets_up_an_office_whose_new_officer_receives_its_first_grievance(browser_page, live_server):
    page = browser_page
    sign_in(page, "rv.admin")
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Administration").click()
    page.wait_for_url("**/staff/admin")
    assert page.locator("h1").inner_text() == "Administration"
    labelled(page)

    # A kind of complaint nobody handles yet: parks.
    page.goto("/staff/admin/categories")
    page.get_by_role("link", name="Add category").click()
    page.wait_for_url("**/staff/admin/categories/new")
    labelled(page)
    page.get_by_label("Code", exact=True).fill("parks")
    page.get_by_label("Name", exact=True).fill("Parks and playgrounds")
    page.get_by_label("Description").fill("Public parks, playgrounds, benches and park lighting.")
    page.get_by_label("Response hours").fill("48")
    page.get_by_label("Resolution hours").fill("240")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/staff/admin/categories?done=*")
    assert SAVED.search(page.get_by_role("status").inner_text())
    assert page.locator("tbody tr", has_text="Parks and playgrounds").count() == 1

    # The office: first with a kind of complaint Northbank already has an office for, refused in place.
    page.goto("/staff/admin/offices")
    labelled(page)
    page.get_by_role("link", name="Add office").click()
    page.wait_for_url("**/staff/admin/offices/new")
    labelled(page)
    page.get_by_label("Code", exact=True).fill("RV-N-PARKS")
    page.get_by_label("Name", exact=True).fill("Northbank Parks Office")
    page.get_by_label("Name in other languages (ne)").fill("उत्तरतट पार्क कार्यालय")
    page.get_by_label("Level").select_option("office")
    page.get_by_label("Parent office").select_option("RV-N")
    page.get_by_label("Areas served").fill("RV-N")
    page.get_by_label("Timezone").fill("Asia/Kathmandu")
    handles = page.get_by_role("group", name="Kinds of complaint it handles")
    handles.get_by_label("water — ").check()
    shot(page, "admin-01-office-form")
    page.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    assert "Nothing was saved" in alert.inner_text()
    assert "area RV-N: covered by 2 offices for water" in alert.inner_text()
    assert page.url.endswith("/staff/admin/offices/save")
    assert page.get_by_label("Code", exact=True).input_value() == "RV-N-PARKS"  # what was typed is kept
    assert page.get_by_label("Timezone").input_value() == "Asia/Kathmandu"
    labelled(page)
    shot(page, "admin-02-office-refused")
    handles = page.get_by_role("group", name="Kinds of complaint it handles")
    handles.get_by_label("water — ").uncheck()
    handles.get_by_label("parks — Parks and playgrounds").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/staff/admin/offices?done=*")
    assert SAVED.search(page.get_by_role("status").inner_text())
    row = page.locator("tbody tr", has_text="RV-N-PARKS")
    assert "Northbank Parks Office" in row.inner_text() and "parks" in row.inner_text()
    shot(page, "admin-03-offices")

    # An account for the office's officer, and its one-time link.
    page.goto("/staff/admin/staff")
    page.get_by_text("Create an account", exact=True).click()  # opens the <details>
    labelled(page)
    create = page.locator("details", has_text="Create an account")  # each account's row has its own Role, Office
    create.get_by_label("Username").fill("parks.officer")
    create.get_by_label("Name", exact=True).fill("Parks Officer")
    create.get_by_label(re.compile("^Office")).select_option(label="RV-N-PARKS — Northbank Parks Office")
    create.get_by_label(re.compile("^Role")).select_option(label="Officer")
    create.get_by_role("button", name="Create and show a one-time link").click()
    assert "Account parks.officer created" in page.get_by_role("status").inner_text()
    link = page.get_by_label("One-time link for parks.officer").input_value()
    assert re.fullmatch(re.escape(live_server) + r"/staff/welcome/[\w-]+", link), link
    assert "waiting for the link" in page.locator("tbody tr", has_text="parks.officer").inner_text()
    labelled(page)
    shot(page, "admin-04-account-created")

    # A key for filing complaints through the API, as a call centre's software would.
    page.goto("/staff/admin/keys")
    page.get_by_text("Create a key", exact=True).click()
    labelled(page)
    create = page.locator("details", has_text="Create a key")
    create.get_by_label("Name (who or what uses it)").fill("Province call-centre software")
    create.get_by_label("Office it acts for").select_option("RV")
    create.get_by_label(re.compile("^Role")).select_option(label="Call-centre operator")
    create.get_by_role("button", name="Create").click()
    assert "Copy it now" in page.get_by_role("status").inner_text()
    key = page.get_by_label("The new key").input_value()
    assert key.startswith("rk_")
    labelled(page)

    # The audit names who did each of these.
    page.goto("/staff/admin/audit?action=office.")
    audit = page.locator("tbody").inner_text()
    assert "office.add" in audit and "office RV-N-PARKS" in audit and "rv.admin" in audit
    page.goto("/staff/admin/audit?action=staff.")
    assert "staff.create" in page.locator("tbody").inner_text()
    assert "parks.officer" in page.locator("tbody").inner_text()
    labelled(page)
    page.goto("/staff/admin/audit")
    shot(page, "admin-05-audit")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/login")

    # The new officer chooses a password with the link, once.
    page.goto(link)
    assert page.locator("h1").inner_text() == "Choose your password"
    assert "parks.officer" in page.locator("main").inner_text()
    page.get_by_label("New password (at least 8 characters)").fill(NEW_PASSWORD)
    page.get_by_label("The same password again").fill(NEW_PASSWORD)
    shot(page, "admin-06-welcome")
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url("**/staff/login?done=password")
    assert "Your password is set" in page.get_by_role("status").inner_text()
    sign_in_as(page, "parks.officer", NEW_PASSWORD)
    assert "Northbank Parks Office" in page.locator("header").inner_text()
    page.goto(link)
    assert "has been used already" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("New password (at least 8 characters)").count() == 0

    # A complaint about a park in Northbank goes to the new office, and its officer sees it.
    answer = httpx.post(f"{live_server}/api/v1/grievances", timeout=30, headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": "admin-browser-parks-1"}, json={
        "text": "The swings in the Northbank park are broken and dangerous", "phone": "9812345670",
        "category": "parks", "admin_area": "RV-N"})
    assert answer.status_code == 201, answer.text
    grievance = answer.json()
    assert grievance["office"]["code"] == "RV-N-PARKS" and grievance["category"]["code"] == "parks"
    page.goto("/staff/inbox")
    row = page.locator("tbody tr", has_text=grievance["tracking_number"])
    assert "swings in the Northbank park" in row.inner_text()
    shot(page, "admin-07-officer-inbox")
