"""Staff accounts: one-time links that set a password, disable and enable, reset, roles, the last admin, the audit,
and the `redress staff` and `redress apikey` commands as an operator runs them."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, or_, select, update

from app.main import create_app
from core.audit import AuditEntry
from core.errors import Conflict, InvalidInput, NotFound
from core.settings import Settings
from intake import staff
from intake.accounts import create_api_key, revoke_api_key
from intake.models import ApiKey, Role, SignInLink, StaffSession, StaffUser
from intake.queries import office_by_code
from tests import builders
from tests.builders import STAFF_PASSWORD, auth
from tests.conftest import START
from tests.test_cli import redress, redress_env
from tests.test_staff_signin import sign_in

ACTOR = "cli:tester"
DAYS3 = timedelta(hours=72)
NEW_PASSWORD = "a brand new passphrase"  # noqa: S105 - test accounts only
REFUSED = "Ask an administrator for a new link."


def new_staff(session, *, username: str = "new.officer", role: Role = Role.OFFICER, office: str = "RV-N-WATER",
              **fields) -> str:
    """Create an account as an administrator would and return its one-time link's token."""
    user = staff.create_staff(session, username=username, display_name="New Officer", role=role, office_code=office,
                              region="NP", actor=ACTOR, now=START, **fields)
    token = staff.issue_link(session, user=user, now=START, valid_for=DAYS3)
    session.commit()
    return token


def choose_password(browser, token: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    page = browser.get(f"/staff/welcome/{token}")
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser.post(f"/staff/welcome/{token}", data={"password": password, "csrf_token": csrf,
                                                          "confirm": password if confirm is None else confirm})


BASELINE: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _audit_baseline(session):
    """The audit's last entry before this test: on PostgreSQL, entries other tests committed share the database."""
    BASELINE["id"] = session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))


def entries(session, action: str | None = None) -> list[AuditEntry]:
    """This test's audit of accounts, keys and sign-ins (loading the directory audits its own changes too)."""
    session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id).where(AuditEntry.id > BASELINE["id"], or_(
        AuditEntry.action.like("staff.%"), AuditEntry.action.like("apikey.%"), AuditEntry.action.like("sign_in%")))
    return list(session.scalars(query.where(AuditEntry.action == action) if action else query))


def audit_text(session) -> str:
    return json.dumps([[e.actor, e.action, e.subject, e.before, e.after] for e in entries(session)])


def test_a_new_account_sets_its_password_through_its_link_then_signs_in(browser, session):
    token = new_staff(session)
    assert session.scalars(select(SignInLink.id)).all() == [hashlib.sha256(token.encode()).hexdigest()]
    assert sign_in(browser, "new.officer", "").status_code == 401  # no password yet: nothing signs in
    page = browser.get(f"/staff/welcome/{token}")
    assert page.status_code == 200 and "Choose your password" in page.text and "new.officer" in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in page.text

    differ = choose_password(browser, token, confirm="another passphrase")
    short = choose_password(browser, token, "short")
    assert differ.status_code == short.status_code == 422
    assert "not the same" in differ.text and "at least 8 characters" in short.text
    done = choose_password(browser, token)  # the link still works after those mistakes
    assert done.status_code == 303 and done.headers["location"] == "/staff/login?done=password"
    assert "Your password is set" in browser.get(done.headers["location"]).text

    assert sign_in(browser, "New.Officer", NEW_PASSWORD).headers["location"] == "/staff/inbox"
    assert browser.get("/staff/inbox").status_code == 200
    again = browser.get(f"/staff/welcome/{token}")
    assert again.status_code == 400 and REFUSED in again.text and token not in again.text
    assert again.headers["cache-control"] == "no-store"


def test_the_link_form_needs_its_own_csrf_token(browser, session):
    token = new_staff(session)
    browser.get(f"/staff/welcome/{token}")
    forged = browser.post(f"/staff/welcome/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                                           "csrf_token": "forged"})
    assert forged.status_code == 403
    assert choose_password(browser, token).status_code == 303  # the refused post did not use the link


@pytest.mark.parametrize("token", ["unknown-token", "x" * 101], ids=["unknown", "too-long"])
def test_an_unknown_link_shows_one_clear_message(browser, session, token):
    page = browser.get(f"/staff/welcome/{token}")
    assert page.status_code == 400 and REFUSED in page.text and 'name="password"' not in page.text


def test_a_link_hiding_a_control_character_is_refused_at_the_edge(browser, session):
    """A NUL in the address never reaches the page (issue 22: PostgreSQL would refuse it mid-query)."""
    page = browser.get("/staff/welcome/x%00y", headers={"Accept": "text/html"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "control character (a NUL byte)" in page.text and 'name="password"' not in page.text


def test_usernames_are_case_insensitive_and_unique(session):
    new_staff(session, username="Ward.Clerk", email=" ward@example.org ", phone="9812345678")
    user = staff.by_username(session, "WARD.clerk")
    assert (user.username, user.email, user.phone) == ("ward.clerk", "ward@example.org", "+9779812345678")
    with pytest.raises(Conflict, match="already a staff account ward.clerk"):
        new_staff(session, username="WARD.CLERK")
    staff.disable_staff(session, username="ward.clerk", actor=ACTOR, now=START)
    with pytest.raises(Conflict):  # a disabled account keeps its name: it is never deleted
        new_staff(session, username="ward.clerk")


@pytest.mark.parametrize("username", ["a", "x" * 65, "has space", "naïve", "semi;colon", "\u212aelvin", "", "ab/c"],
                         ids=["short", "long", "space", "accent", "semicolon", "kelvin-sign", "empty", "slash"])
def test_bad_usernames_are_refused(session, username):
    with pytest.raises(InvalidInput, match="2 to 64 characters") as refused:
        new_staff(session, username=username)
    assert refused.value.field == "username"


@pytest.mark.parametrize(("fields", "field"), [
    ({"email": "not-an-email"}, "email"), ({"email": "a@b"}, "email"), ({"email": "a b@example.org"}, "email"),
    ({"email": "a@@example.org"}, "email"), ({"email": "x" * 200 + "@example.org"}, "email"),
    ({"email": "a@example.org\x00"}, "email"), ({"phone": "12"}, "phone"), ({"office": "NOPE"}, "office"),
], ids=["no-at", "no-dot", "space", "two-ats", "long", "nul", "phone", "office"])
def test_bad_contact_details_and_offices_are_refused(session, fields, field):
    with pytest.raises(InvalidInput) as refused:
        new_staff(session, **fields)
    assert refused.value.field == field
    assert session.scalar(select(StaffUser).where(StaffUser.username == "new.officer")) is None


def test_a_name_and_an_active_office_are_required(session):
    with pytest.raises(InvalidInput, match="needs a name"):
        staff.create_staff(session, username="nameless", display_name="  ", role=Role.OFFICER, office_code="RV",
                           region="NP", actor=ACTOR, now=START)
    office_by_code(session, "RV-N-WATER").active = False
    with pytest.raises(InvalidInput, match="RV-N-WATER is retired"):
        new_staff(session)


def test_disabling_ends_the_session_and_owned_keys_at_once_and_enabling_restores_the_keys(browser, session):
    builders.staff(session, username="leaver", now=START)
    owned = create_api_key(session, name="leaver-script", role=Role.OFFICER, office=office_by_code(session, "RV"),
                           owner=staff.by_username(session, "leaver"), now=START, actor=ACTOR).secret
    unowned = builders.api_key(session, role=Role.ADMIN, now=START)
    assert sign_in(browser, "leaver").status_code == 303
    assert browser.get("/staff/inbox").status_code == 200
    assert browser.get("/api/v1/grievances", headers=auth(owned)).status_code == 200

    assert staff.disable_staff(session, username="Leaver", actor=ACTOR, now=START) is True
    session.commit()
    assert browser.get("/staff/inbox").headers["location"].startswith("/staff/login?next=")
    assert browser.get("/api/v1/grievances", headers=auth(owned)).status_code == 401
    assert browser.get("/api/v1/grievances", headers=auth(unowned)).status_code == 200
    assert session.scalar(select(StaffSession.ended_at)) == START
    assert sign_in(browser, "leaver").status_code == 401
    assert staff.disable_staff(session, username="leaver", actor=ACTOR, now=START) is False  # nothing more to do
    with pytest.raises(Conflict, match="disabled"):
        create_api_key(session, name="another", role=Role.OFFICER, office=office_by_code(session, "RV"),
                       owner=staff.by_username(session, "leaver"), now=START)

    assert staff.enable_staff(session, username="leaver", actor=ACTOR, now=START) is True
    session.commit()
    assert browser.get("/api/v1/grievances", headers=auth(owned)).status_code == 200
    assert browser.get("/staff/inbox").status_code == 303  # an ended session stays ended
    assert sign_in(browser, "leaver").status_code == 303
    assert [e.subject for e in entries(session) if e.action.startswith("staff.")] == ["staff leaver"] * 2
    assert [(e.before["active"], e.after["active"]) for e in entries(session) if e.action.startswith("staff.")] == \
        [(True, False), (False, True)]


def test_reset_password_stops_the_old_one_and_its_link_works_once(browser, session, clock):
    builders.staff(session, username="forgetful", now=START)
    assert sign_in(browser, "forgetful").status_code == 303
    token = staff.reset_password(session, username="forgetful", actor=ACTOR, now=START, valid_for=DAYS3)
    session.commit()
    assert browser.get("/staff/inbox").status_code == 303  # signed out at once
    assert sign_in(browser, "forgetful", STAFF_PASSWORD).status_code == 401
    assert choose_password(browser, token).status_code == 303
    assert sign_in(browser, "forgetful", STAFF_PASSWORD).status_code == 401
    assert sign_in(browser, "forgetful", NEW_PASSWORD).status_code == 303
    with pytest.raises(staff.LinkNotValid):
        staff.use_link(session, token=token, password="yet another password", now=START)
    used = browser.get(f"/staff/welcome/{token}")
    assert used.status_code == 400 and REFUSED in used.text


def test_a_link_expires_and_a_newer_link_replaces_an_older_one(browser, session, clock):
    builders.staff(session, username="forgetful", now=START)
    older = staff.reset_password(session, username="forgetful", actor=ACTOR, now=START, valid_for=DAYS3)
    newer = staff.reset_password(session, username="forgetful", actor=ACTOR, now=START, valid_for=DAYS3)
    session.commit()
    assert browser.get(f"/staff/welcome/{older}").status_code == 400
    clock.advance(hours=71, minutes=59)
    assert browser.get(f"/staff/welcome/{newer}").status_code == 200
    clock.advance(minutes=1)
    expired = browser.get(f"/staff/welcome/{newer}")
    assert expired.status_code == 400 and REFUSED in expired.text
    with pytest.raises(staff.LinkNotValid):
        staff.use_link(session, token=newer, password=NEW_PASSWORD, now=clock.now)
    assert sign_in(browser, "forgetful", NEW_PASSWORD).status_code == 401


def test_a_disabled_account_cannot_use_its_link(browser, session):
    token = new_staff(session)
    staff.disable_staff(session, username="new.officer", actor=ACTOR, now=START)
    session.commit()
    assert browser.get(f"/staff/welcome/{token}").status_code == 400
    with pytest.raises(Conflict, match="disabled; enable the account"):
        staff.reset_password(session, username="new.officer", actor=ACTOR, now=START, valid_for=DAYS3)
    staff.enable_staff(session, username="new.officer", actor=ACTOR, now=START)
    session.commit()
    assert browser.get(f"/staff/welcome/{token}").status_code == 400  # disabling ended the link for good


def test_the_last_active_admin_cannot_be_disabled_or_demoted(session):
    session.execute(update(StaffUser).where(StaffUser.role == Role.ADMIN).values(active=False))
    new_staff(session, username="first.admin", role=Role.ADMIN, office="RV")
    with pytest.raises(Conflict, match="first.admin is the last active administrator"):
        staff.disable_staff(session, username="first.admin", actor=ACTOR, now=START)
    with pytest.raises(Conflict, match="last active administrator"):
        staff.set_role(session, username="first.admin", role=Role.MANAGER, actor=ACTOR, now=START)
    assert staff.set_role(session, username="first.admin", role=Role.ADMIN, office_code="RV-N", actor=ACTOR,
                          now=START)  # moving office keeps an admin
    new_staff(session, username="second.admin", role=Role.ADMIN, office="RV")
    assert staff.disable_staff(session, username="first.admin", actor=ACTOR, now=START)
    with pytest.raises(Conflict, match="second.admin is the last"):  # a disabled admin does not count
        staff.set_role(session, username="second.admin", role=Role.OFFICER, actor=ACTOR, now=START)
    assert staff.set_role(session, username="first.admin", role=Role.OFFICER, actor=ACTOR, now=START)
    assert [e.action for e in entries(session)] == ["staff.create", "staff.set_role", "staff.create",
                                                    "staff.disable", "staff.set_role"]


def test_every_change_is_audited_without_any_secret(browser, session):
    token = new_staff(session, email="new@example.org")
    assert choose_password(browser, token).status_code == 303
    session.expire_all()
    stored_hash = staff.by_username(session, "new.officer").password_hash
    assert stored_hash.startswith("$argon2")
    reset = staff.reset_password(session, username="new.officer", actor=ACTOR, now=START, valid_for=DAYS3)
    staff.set_role(session, username="new.officer", role=Role.OFFICE_HEAD, office_code="RV-N", actor=ACTOR, now=START)
    staff.disable_staff(session, username="new.officer", actor=ACTOR, now=START)
    staff.enable_staff(session, username="new.officer", actor=ACTOR, now=START)
    key = create_api_key(session, name="ops", role=Role.MANAGER, office=office_by_code(session, "RV"),
                         owner=staff.by_username(session, "new.officer"), now=START, actor=ACTOR)
    assert revoke_api_key(session, key_id=key.api_key.id, actor=ACTOR, now=START) is True
    assert revoke_api_key(session, key_id=key.api_key.id, actor=ACTOR, now=START) is False
    with pytest.raises(NotFound):
        revoke_api_key(session, key_id=999_999, actor=ACTOR, now=START)
    session.commit()

    rows = [(e.actor, e.action, e.subject) for e in entries(session)]
    subject = f"api key {key.api_key.id} ops"
    assert rows == [(ACTOR, "staff.create", "staff new.officer"), ("new.officer", "staff.password_set",
                    "staff new.officer"), (ACTOR, "staff.reset_password", "staff new.officer"),
                    (ACTOR, "staff.set_role", "staff new.officer"), (ACTOR, "staff.disable", "staff new.officer"),
                    (ACTOR, "staff.enable", "staff new.officer"), (ACTOR, "apikey.create", subject),
                    (ACTOR, "apikey.revoke", subject)]
    created, _, _, moved, *_ = entries(session)
    assert created.before is None and created.after == {
        "username": "new.officer", "name": "New Officer", "role": "officer", "office": "RV-N-WATER",
        "email": "new@example.org", "phone": None, "active": True}
    assert (moved.before["role"], moved.before["office"], moved.after["role"], moved.after["office"]) == \
        ("officer", "RV-N-WATER", "office_head", "RV-N")
    assert entries(session, "apikey.create")[0].after == {"name": "ops", "role": "manager", "office": "RV",
                                                          "owner": "new.officer", "revoked": False}
    text = audit_text(session)
    for secret in (token, reset, NEW_PASSWORD, stored_hash, key.secret, key.api_key.key_hash, key.api_key.prefix):
        assert secret not in text


def test_sign_ins_are_audited_with_the_account_and_address_but_never_what_was_typed(browser, session):
    builders.staff(session, username="water.officer", now=START)
    builders.staff(session, username="gone.officer", now=START, active=False)
    assert sign_in(browser, "water.officer").status_code == 303
    browser.cookies.clear()
    assert sign_in(browser, "Water.Officer", "wrong password here").status_code == 401
    assert sign_in(browser, "my secret passphrase", "x").status_code == 401  # a password typed as the username
    assert sign_in(browser, "gone.officer").status_code == 401

    rows = [(e.actor, e.action, e.subject, e.after, e.address) for e in entries(session)]
    assert rows == [
        ("water.officer", "sign_in", "staff water.officer", None, "testclient"),
        ("anonymous", "sign_in.failed", "staff water.officer", {"reason": "wrong password"}, "testclient"),
        ("anonymous", "sign_in.failed", "unknown account", None, "testclient"),
        ("anonymous", "sign_in.failed", "staff gone.officer", {"reason": "disabled"}, "testclient"),
    ]
    text = audit_text(session)
    assert "my secret passphrase" not in text and "wrong password here" not in text and STAFF_PASSWORD not in text


def test_a_failed_sign_in_during_a_lockout_is_audited_too(browser, session):
    builders.staff(session, username="water.officer", now=START)
    for _ in range(6):
        sign_in(browser, "water.officer", "not it")
    assert entries(session, "sign_in.failed")[-1].after == {"reason": "locked"}
    assert len(entries(session, "sign_in.failed")) == 6


# The command line, as an operator runs it against a real database.

@pytest.fixture(scope="module")
def cli_db(new_database_url):
    url = new_database_url()
    redress("init", "--demo", url=url)
    return url


def run(*args: str, url: str, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, input=stdin,
                            env=redress_env(url), timeout=120, check=False)
    assert (result.returncode == 0) is ok, result.stdout + result.stderr
    return result


def web(url: str) -> TestClient:
    app = create_app(Settings(_env_file=None, database_url=url, scheduler_enabled=False))
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def test_staff_and_apikey_commands(cli_db):
    url = cli_db
    created = run("staff", "create", "--username", "Field.Worker", "--name", "Field Worker", "--office", "rv-n-water",
                  "--role", "officer", "--email", "field@example.org", "--phone", "9812345678", url=url).stdout
    link = created.strip().splitlines()[-1]
    assert "staff field.worker created" in created
    assert link.startswith("http://127.0.0.1:8000/staff/welcome/")
    token = link.rsplit("/", 1)[1]
    with web(url) as browser:
        assert choose_password(browser, token).status_code == 303
        assert sign_in(browser, "field.worker", NEW_PASSWORD).status_code == 303

    duplicate = run("staff", "create", "--username", "FIELD.WORKER", "--name", "X", "--office", "RV", "--role",
                    "officer", url=url, ok=False)
    assert duplicate.returncode == 1
    assert duplicate.stderr.startswith("redress: there is already a staff account field.worker")
    assert "2 to 64" in run("staff", "create", "--username", "no way", "--name", "X", "--office", "RV", "--role",
                            "officer", url=url, ok=False).stderr

    scripted = run("staff", "create", "--username", "robot", "--name", "Robot", "--office", "RV", "--role", "manager",
                   "--password-stdin", url=url, stdin="scripted passphrase\n").stdout
    assert "password set" in scripted and "/staff/welcome/" not in scripted
    with web(url) as browser:
        assert sign_in(browser, "robot", "scripted passphrase").status_code == 303
    assert "no password" in run("staff", "create", "--username", "robot2", "--name", "R", "--office", "RV", "--role",
                                "officer", "--password-stdin", url=url, stdin="", ok=False).stderr

    listed = run("staff", "list", "--office", "RV-N-WATER", url=url).stdout
    assert re.search(r"field\.worker\s+Field Worker\s+officer\s+RV-N-WATER\s+active", listed)
    assert "robot" not in listed and "robot" in run("staff", "list", url=url).stdout

    key = run("apikey", "create", "--name", "field-app", "--office", "RV-N-WATER", "--role", "officer", "--owner",
              "field.worker", url=url).stdout.strip().splitlines()[-1]
    with web(url) as client:
        assert client.get("/api/v1/grievances", headers=auth(key)).status_code == 200
        assert "disabled" in run("staff", "disable", "field.worker", url=url).stdout
        assert client.get("/api/v1/grievances", headers=auth(key)).status_code == 401
        assert re.search(r"field\.worker\s+Field Worker\s+officer\s+RV-N-WATER\s+disabled",
                         run("staff", "list", url=url).stdout)
        assert "field.worker (disabled)" in run("apikey", "list", url=url).stdout
        assert "enabled" in run("staff", "enable", "field.worker", url=url).stdout
        assert client.get("/api/v1/grievances", headers=auth(key)).status_code == 200

        reset = run("staff", "reset-password", "field.worker", url=url).stdout
        assert sign_in(client, "field.worker", NEW_PASSWORD).status_code == 401
        assert choose_password(client, reset.strip().splitlines()[-1].rsplit("/", 1)[1], "second passphrase") \
            .status_code == 303
        assert sign_in(client, "field.worker", "second passphrase").status_code == 303

    assert "office_head at RV-N" in run("staff", "set-role", "field.worker", "office_head", "--office", "RV-N",
                                        url=url).stdout
    assert re.search(r"field\.worker\s+Field Worker\s+office_head\s+RV-N\s+active",
                     run("staff", "list", url=url).stdout)
    last = run("staff", "disable", "rv.admin", url=url, ok=False)
    assert "rv.admin is the last active administrator" in last.stderr
    assert "last active administrator" in run("staff", "set-role", "rv.admin", "officer", url=url, ok=False).stderr
    assert "no staff account nobody" in run("staff", "disable", "nobody", url=url, ok=False).stderr

    keys = run("apikey", "list", url=url).stdout
    row = next(line for line in keys.splitlines() if "field-app" in line)
    key_id = row.split()[0]
    assert key[:10] in row and key not in keys and "officer" in row and "field.worker" in row
    assert f"API key {key_id} revoked" in run("apikey", "revoke", key_id, url=url).stdout
    assert "already revoked" in run("apikey", "revoke", key_id, url=url).stdout
    assert "no API key 999999" in run("apikey", "revoke", "999999", url=url, ok=False).stderr
    with web(url) as client:
        assert client.get("/api/v1/grievances", headers=auth(key)).status_code == 401

    engine = create_engine(url)
    with engine.connect() as connection:
        audited = connection.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject)
                                     .where(AuditEntry.actor.like("cli:%")).order_by(AuditEntry.id)).all()
        owner = connection.scalar(select(ApiKey.owner_id).where(ApiKey.name == "field-app"))
    engine.dispose()
    assert owner is not None
    assert [action for _, action, _ in audited] == [
        "staff.create", "staff.create", "staff.password_set", "apikey.create", "staff.disable", "staff.enable",
        "staff.reset_password", "staff.set_role", "apikey.revoke"]
    assert {subject for _, action, subject in audited if action.startswith("apikey")} == {f"api key {key_id} field-app"}
