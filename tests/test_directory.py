"""The directory as a file the agency owns: checked whole (every problem listed, nothing applied), compared with
the live one, applied as a version with an audit, retired rather than deleted; export → load changes nothing."""

from __future__ import annotations

import copy
import threading
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.errors import Conflict, InvalidInput
from directory import export, services
from directory.document import parse, read
from directory.format import DirectoryError
from directory.models import DirectoryVersion
from escalation.models import Deadline, SlaPolicy
from escalation.services import sync
from intake.models import Category, EventKind, Office, StaffUser
from routing.models import Area, CannedReply, RoutingRule
from tests import builders
from tests.conftest import PG_URL, START

TABLES = (Category, Office, Area, SlaPolicy, RoutingRule, CannedReply, StaffUser)


def demo(session) -> dict:
    """The live (demo) directory as its file's tables, to edit."""
    return export.to_document(export.live(session))


def apply(session, document: dict, **kw) -> services.Plan:
    return services.apply(session, directory=parse(copy.deepcopy(document)), source="test", actor="tester",
                          now=START, **kw)


def counts(session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (*TABLES, DirectoryVersion, AuditEntry))


def office(document: dict, code: str) -> dict:
    return next(o for o in document["offices"] if o["code"] == code)


def test_the_demo_directory_reloads_and_exports_unchanged(session, tmp_path):
    path = tmp_path / "directory.toml"
    path.write_text(export.dumps(export.live(session)), encoding="utf-8")
    assert services.load_file(session, path=path, actor="tester", now=START).changes == []
    assert apply(session, demo(session)).changes == []


def test_a_change_is_a_version_with_an_audit_and_a_dry_run_changes_nothing(session):
    document = demo(session)
    water = next(c for c in document["categories"] if c["code"] == "water")
    water["response_hours"] = 12
    document["offices"].append({"code": "rv-parks", "name": "Parks Office", "parent": "RV",
                                "jurisdiction": ["RV"], "timezone": "Asia/Kathmandu", "categories": []})
    before = counts(session)
    dry = apply(session, document, dry_run=True)
    assert [c.describe() for c in dry.changes] == ["change  category water: response_hours 48 → 12",
                                                   "add     office RV-PARKS (Parks Office)"]
    assert counts(session) == before and dry.version is None
    plan = apply(session, document)
    assert plan.summary() == "1 added, 1 changed, 0 retired" and plan.version is not None
    version = session.get(DirectoryVersion, plan.version)
    assert version.actor == "tester" and 'code = "RV-PARKS"' in version.document
    entries = session.scalars(select(AuditEntry).where(AuditEntry.version == plan.version)
                              .order_by(AuditEntry.id)).all()
    assert [(e.action, e.subject) for e in entries] == [("category.change", "category water"),
                                                        ("office.add", "office RV-PARKS")]
    assert entries[0].before["response_hours"] == 48 and entries[0].after["response_hours"] == 12
    assert session.scalar(select(Category.response_hours).where(Category.code == "water")) == 12
    assert session.scalar(select(Office).where(Office.code == "RV-PARKS")).parent.code == "RV"
    assert apply(session, document).changes == []  # the same file again: nothing
    assert parse(read(version.document)).sections == export.live(session).sections  # the version is the whole


def test_what_the_file_leaves_out_is_retired_and_comes_back_when_listed_again(session):
    document = demo(session)
    document["rules"] = [r for r in document["rules"] if r["name"] != "streetlights"]
    document["replies"] = [r for r in document["replies"] if r["title"] != "Crew sent"]
    document["areas"] = [a for a in document["areas"] if a["code"] != "RV-S"]
    plan = apply(session, document)
    assert sorted(c.describe() for c in plan.changes) == [
        "retire  area RV-S", "retire  reply 'Crew sent' (electricity, en)", "retire  rule streetlights"]
    assert session.scalar(select(RoutingRule.active).where(RoutingRule.name == "streetlights")) is False
    assert session.scalar(select(Area.active).where(Area.code == "RV-S")) is False
    from routing.areas import mentioned_area
    assert mentioned_area(session, "southvale clinic has no doctor") is None
    assert counts(session)[:len(TABLES)] == tuple(  # nothing was deleted
        session.scalar(select(func.count()).select_from(m)) for m in TABLES)
    exported = export.to_document(export.live(session))
    assert {"code": "RV-S", "names": ["Southvale", "South vale", "दक्षिणबेंसी"],
            "translations": {"ne": "दक्षिणबेंसी"}, "retired": True} in exported["areas"]
    back = apply(session, demo_with_everything(session))
    assert "change  area RV-S: retired True → False" in back.lines()
    assert mentioned_area(session, "southvale clinic has no doctor") == ("RV-S", "Southvale")


def demo_with_everything(session) -> dict:
    document = demo(session)
    for section in document.values():
        for entry in section:
            entry.pop("retired", None)
    return document


def test_retiring_an_office_moves_its_open_grievances_with_their_clocks(session):
    grievance = builders.grievance(session, now=START, category="water", admin_area="RV-N", commit=False)
    sync(session, grievance=grievance, now=START)
    session.flush()
    assert grievance.office.code == "RV-N-WATER"
    due = {d.kind: d.due_at for d in session.scalars(select(Deadline).where(Deadline.grievance_id == grievance.id))}
    document = demo(session)
    office(document, "RV-N-WATER")["retired"] = True
    with pytest.raises(DirectoryError, match=r"office RV-N-WATER: 1 open grievances would be left with it: say where"):
        apply(session, document)
    office(document, "RV-N-WATER")["successor"] = "RV-N"
    office(document, "RV-N")["categories"] = ["water"]
    plan = apply(session, document)
    assert "retire  office RV-N-WATER; 1 open grievances move to RV-N" in plan.lines()
    session.refresh(grievance)
    assert grievance.office.code == "RV-N"
    moved = [e for e in grievance.events if e.kind is EventKind.TRANSFERRED]
    assert len(moved) == 1 and moved[0].public and moved[0].data["reason"] == "office retired"
    assert (moved[0].office.code, moved[0].data["to_office"]) == ("RV-N-WATER", "RV-N")  # credited to the one it left
    deadlines = session.scalars(select(Deadline).where(Deadline.grievance_id == grievance.id)).all()
    assert {d.kind: d.due_at for d in deadlines} == due  # clocks kept
    assert {d.office_id for d in deadlines if d.met_at is None} == {grievance.office_id}
    retired = session.scalar(select(Office).where(Office.code == "RV-N-WATER"))
    assert retired is not None and retired.active is False  # kept for history


def test_retiring_a_category_moves_its_open_grievances_to_the_successor(session):
    grievance = builders.grievance(session, now=START, category="schools", admin_area="RV-N", commit=False)
    document = demo(session)
    schools = next(c for c in document["categories"] if c["code"] == "schools")
    schools |= {"retired": True, "successor": "other"}
    for entry in document["offices"]:
        if "schools" in entry["categories"]:
            entry["categories"] = [c for c in entry["categories"] if c != "schools"] + ["other"]
    apply(session, document)
    session.refresh(grievance)
    assert grievance.category.code == "other"
    assert [e.data["to_category"] for e in grievance.events if e.kind is EventKind.TRANSFERRED] == ["other"]


def test_retiring_the_last_office_for_a_category_is_refused(session):
    document = demo(session)
    document["offices"] = [o for o in document["offices"] if o["code"] != "RV-LAND"]
    with pytest.raises(DirectoryError, match=r"category land: no office would receive it any more \(it was RV-LAND\)"):
        apply(session, document)


def test_an_office_with_staff_is_not_retired_under_them(session):
    builders.staff(session, username="leaver.check", office="RV-LAND", now=START)
    session.flush()
    document = demo(session)
    office(document, "RV-LAND")["retired"] = True
    office(document, "RV")["categories"] = ["land"]
    with pytest.raises(DirectoryError, match="office RV-LAND: 1 active staff accounts belong to it"):
        apply(session, document)


BAD = [
    ("cycle", lambda d: office(d, "RV").update(parent="RV-N"),
     "office RV: the office tree has a cycle: RV → RV-N → RV"),
    ("unknown-parent", lambda d: office(d, "RV-LAND").update(parent="NOPE"), "office RV-LAND: unknown parent 'NOPE'"),
    ("duplicate-code", lambda d: d["offices"].append(dict(office(d, "RV-LAND"))),
     "office RV-LAND: duplicate: office RV-LAND is already listed"),
    ("two-offices-one-area", lambda d: office(d, "RV-N").update(categories=["water"]),
     "area RV-N: covered by 2 offices for water: RV-N, RV-N-WATER"),
    ("negative-sla", lambda d: d["sla"][1].update(first_response_hours=-8),
     "sla water/*: 'first_response_hours' must be a number above 0"),
    ("holiday-not-a-date", lambda d: d["calendars"][0]["holidays"].append({"day": "Dashain", "name": "x"}),
     "calendar NP-GOV: holiday 'Dashain' is not a date"),
    ("rule-unknown-category", lambda d: d["rules"][0].update(category="unicorns"),
     "rule bribery words: unknown category 'unicorns'"),
    ("unsupported-language", lambda d: office(d, "RV").update(translations={"xx": "Xland"}),
     "office RV: language 'xx' is not supported"),
    ("reply-language", lambda d: d["replies"][0].update(language="fr"), "language 'fr' is not supported"),
    ("successor-unknown", lambda d: office(d, "RV-LAND").update(retired=True, successor="NOPE"),
     "office RV-LAND: successor 'NOPE' must be another office"),
    ("successor-not-retired", lambda d: office(d, "RV-LAND").update(successor="RV"),
     "'successor' is only for an entry with retired = true"),
    ("nul-byte", lambda d: office(d, "RV").update(name="Gov\x00ernor"), "office RV: 'name' holds a control character"),
    ("unknown-key", lambda d: office(d, "RV").update(colour="blue"), "office RV: unknown keys ['colour']"),
    ("staff-section", lambda d: d.update(staff=[{"username": "x"}]), "staff accounts are not part of the directory"),
    ("bad-regex", lambda d: d["rules"].append({"name": "r", "pattern": "(", "regex": True, "category": "water"}),
     "rule r: pattern is not a valid regular expression"),
    ("bad-timezone", lambda d: office(d, "RV").update(timezone="Mars/Base"), "unknown timezone 'Mars/Base'"),
    ("bad-level", lambda d: office(d, "RV").update(level="kingdom"), "'level' 'kingdom' is not one of"),
    ("hours-text", lambda d: d["categories"][0].update(response_hours="two days"), "'response_hours' must be a whole"),
    ("threshold", lambda d: d["categories"][0].update(route_threshold=1.5), "'route_threshold' must be a number"),
    ("area-no-names", lambda d: d["areas"][0].update(names=[]), "'names' must list 1 or more place names"),
    ("reply-placeholder", lambda d: d["replies"][0].update(text="Dear {name}"), "only {tracking} and {office}"),
    ("question-datatype", lambda d: d["categories"][0].update(questions=[{"code": "a", "description": "x",
                                                                           "datatype": "colour"}]),
     "datatype is one of"),
    ("not-tables", lambda d: d.update(offices="RV"), "offices: must be a list of tables"),
]


@pytest.mark.parametrize(("spoil", "says"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_bad_directory_is_refused_whole_and_nothing_is_applied(session, spoil, says):
    document = demo(session)
    water = next(c for c in document["categories"] if c["code"] == "water")
    water["name"] = "Water (renamed)"  # a good change in the same file is not applied either
    spoil(document)
    before = counts(session)
    with pytest.raises(DirectoryError) as refused:
        apply(session, document)
    assert says in refused.value.message
    assert counts(session) == before
    assert session.scalar(select(Category.name).where(Category.code == "water")) == "Water supply"


def test_every_problem_is_listed_at_once_with_its_line(session, tmp_path):
    text = export.dumps(export.live(session))
    land = 'code = "RV-LAND"\nname = "Provincial Land Registry"\nlevel = "office"\nparent = "RV"'
    assert land in text
    text = text.replace(land, land.replace('"RV"', '"NOPE"'))
    text = text.replace("day = 2027-01-11", 'day = "someday"')
    text += '\n[[rules]]\nname = "r"\npattern = "x"\ncategory = "unicorn"\n'
    path = tmp_path / "directory.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DirectoryError) as refused:
        services.load_file(session, path=path, actor="tester", now=START)
    problems = [str(p) for p in refused.value.problems]
    land_line = text.splitlines().index('code = "RV-LAND"')  # 0-based: the line number of its [[offices]]
    assert f"line {land_line}, office RV-LAND: unknown parent 'NOPE'" in problems
    assert any(p.startswith("line ") and "calendar NP-GOV: holiday 'someday' is not a date" in p for p in problems)
    assert any("rule r: unknown category 'unicorn'" in p for p in problems)
    assert refused.value.message.startswith(f"the directory was not changed: {len(problems)} problems")


@pytest.mark.parametrize(("content", "says"), [
    (b"[[offices]\ncode = ", "not valid TOML"),
    (b"\xff\xfe\x00bad", "cannot read"),
], ids=["toml", "encoding"])
def test_an_unreadable_file_is_a_clear_error(session, tmp_path, content, says):
    path = tmp_path / "directory.toml"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=says):
        services.load_file(session, path=path, actor="tester", now=START)


def test_an_edit_based_on_an_old_version_is_refused(session):
    document = demo(session)
    seen = apply(session, document | {"rules": document["rules"][:1]}).version
    apply(session, document, expected_version=seen)  # someone else's change, made on the latest version
    with pytest.raises(Conflict, match="the directory changed since this page was opened"):
        apply(session, document | {"rules": []}, expected_version=seen)


def test_demo_rules_load_and_match(session):
    from routing.rules import first_match

    rule = first_match(session, "the clerk wanted GHUS of 500 rupees")
    assert rule is not None and rule.name == "bribery words" and rule.category.code == "corruption"
    assert first_match(session, "STLIGHT broken near the temple").category.code == "electricity"
    assert first_match(session, "no water for three days") is None


@pytest.mark.parametrize(("text", "area"), [
    ("No water in Northbank ward 3", ("RV-N", "Northbank")),
    ("उत्तरकिनार वडा ३ मा पानी छैन", ("RV-N", "उत्तरकिनार")),
    ("southvale clinic has no doctor", ("RV-S", "Southvale")),
    ("Riverlands province, Northbank district: road broken", ("RV-N", "Northbank")),
    ("from Northbank to Southvale the bus never comes", None),
    ("the northbankers are loud", None),
    ("no water for three days", None),
], ids=["english", "nepali", "case", "province-and-district", "two-districts", "part-of-a-word", "none"])
def test_place_names_put_a_complaint_in_an_area(session, text, area):
    from routing.areas import mentioned_area

    assert mentioned_area(session, text) == area


# -- export → load is a no-op, over generated directories ---------------------------------------------------

CODES = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=6)
NAMES = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]), min_size=1,
                max_size=30).filter(lambda s: s.strip())
HOURS = st.integers(min_value=1, max_value=2000)


@st.composite
def directories(draw) -> dict:
    """A valid directory: a category set, an office tree whose offices each serve their own area, calendars over
    disjoint offices, SLAs, rules and replies, with translated names and some entries retired."""
    category_codes = draw(st.lists(CODES.map(str.lower), min_size=1, max_size=5, unique=True))
    categories = [{"code": code, "name": draw(NAMES), "translations": draw(st.dictionaries(
                   st.just("ne"), NAMES, max_size=1)), "response_hours": draw(HOURS),
                   "resolution_hours": draw(HOURS), "integrity": draw(st.booleans()),
                   "route_threshold": draw(st.none() | st.floats(0.05, 1.0))} for code in category_codes]
    office_codes = draw(st.lists(CODES, min_size=1, max_size=8, unique=True))
    offices = []
    for index, code in enumerate(office_codes):
        parent = draw(st.sampled_from(office_codes[:index])) if index and draw(st.booleans()) else None
        offices.append({"code": f"X-{code}", "name": draw(NAMES), "parent": f"X-{parent}" if parent else None,
                        "level": draw(st.sampled_from(["ministry", "province", "district", "office"])),
                        "jurisdiction": [f"A-{code}"], "timezone": draw(st.sampled_from(["UTC", "Asia/Kathmandu"])),
                        "oversight": draw(st.booleans()),
                        "categories": draw(st.lists(st.sampled_from(category_codes), unique=True, max_size=3))})
    for entry in offices:  # a leaf may be retired; the file keeps it
        if not any(o["parent"] == entry["code"] for o in offices) and draw(st.booleans()) and len(offices) > 1:
            entry["retired"] = True
    calendars = [{"code": "CAL-1", "timezone": "Asia/Kathmandu", "week": {"mon": ["09:00-17:00"],
                  "fri": ["10:00-12:00", "13:00-15:00"]}, "holidays": [{"day": START.date() + timedelta(days=d),
                                                                        "name": "day off"}
                                                                       for d in draw(st.sets(st.integers(0, 400),
                                                                                             max_size=3))],
                  "offices": [offices[0]["code"]]}]
    sla = [{"first_response_hours": draw(st.floats(0.5, 100)), "resolution_hours": 40, "escalation_hours": 8,
            "basis": draw(st.sampled_from(["business", "calendar"])), "warn_fraction": draw(st.floats(0, 0.9))}]
    sla += [{"category": code, "office": draw(st.none() | st.just(offices[0]["code"])),
             "first_response_hours": 4, "resolution_hours": 24, "transfer_hours": draw(st.none() | st.just(2)),
             "escalation_hours": 4} for code in category_codes[:2]]
    rules = [{"name": draw(NAMES).strip()[:50] or "r", "pattern": "word|другое", "category": category_codes[0],
              "priority": draw(st.integers(-5, 500))}]
    replies = [{"language": language, "title": draw(NAMES).strip() or "t", "text": draw(NAMES) + " {office}"}
               for language in draw(st.lists(st.sampled_from(["en", "ne"]), unique=True, max_size=2))]
    areas = [{"code": f"A-{code}", "names": [draw(NAMES).strip()]} for code in office_codes]
    return {"categories": categories, "offices": offices, "areas": areas, "calendars": calendars, "sla": sla,
            "rules": rules, "replies": replies}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=directories())
def test_load_export_load_changes_nothing(session, document):
    with session.begin_nested() as savepoint:
        wanted = parse(copy.deepcopy(document))
        services.apply(session, directory=copy.deepcopy(wanted), source="test", actor="tester", now=START)
        text = export.dumps(export.live(session))
        again = services.load_text(session, text=text, source="test", actor="tester", now=START)
        assert again.changes == []
        live = export.live(session)
        for section, entries in wanted.sections.items():
            for key, entry in entries.items():
                assert {k: v for k, v in live[section][key].items() if k != "successor"} == \
                    {k: v for k, v in entry.items() if k != "successor"}
        savepoint.rollback()


def test_names_show_in_the_citizens_language_and_retired_entries_are_not_offered(session, client):
    document = demo(session)
    office(document, "RV-N-WATER")["translations"] = {"ne": "उत्तरकिनार खानेपानी शाखा"}
    next(c for c in document["categories"] if c["code"] == "other")["retired"] = True
    for entry in document["offices"]:
        entry["categories"] = [c for c in entry["categories"] if c != "other"]
    apply(session, document)
    session.commit()
    nepali, english = client.get("/complain?lang=ne").text, client.get("/complain").text
    assert ">खानेपानी</option>" in nepali and ">Water supply</option>" in english
    assert 'value="other"' not in nepali and 'value="other"' not in english
    grievance = builders.grievance(session, now=START, category="water", admin_area="RV-N", commit=False)
    assert grievance.office.name_in("ne") == "उत्तरकिनार खानेपानी शाखा"
    assert grievance.office.name_in("en") == grievance.office.name == "Northbank Water Utility Branch"


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set REDRESS_TEST_DATABASE_URL (CI does)")
def test_two_loads_at_once_take_turns_and_the_last_file_wins_whole(new_database_url):
    """Real concurrency: a load that starts while another is applying compares against what the first committed,
    so the directory ends exactly as the last file says (without turns, the second would miss the first's office
    and leave it live although its file leaves it out)."""
    from app import migrate
    from core.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(new_database_url())
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        base = {"categories": [{"code": "water", "name": "Water"}],
                "offices": [{"code": "HQ", "name": "HQ", "jurisdiction": ["A"], "categories": ["water"]}]}
        with transaction(factory) as session:
            services.apply(session, directory=parse(copy.deepcopy(base)), source="t", actor="t", now=START)
        first = base | {"offices": [*base["offices"], {"code": "NEW", "name": "New", "parent": "HQ"}]}
        applied, started = threading.Event(), threading.Event()

        def load_first() -> None:
            with transaction(factory) as session:
                services.apply(session, directory=parse(copy.deepcopy(first)), source="1", actor="t", now=START)
                applied.set()
                started.wait(10)
                time.sleep(0.5)  # the second is now waiting for this transaction

        thread = threading.Thread(target=load_first)
        thread.start()
        assert applied.wait(10)
        started.set()
        with transaction(factory) as session:  # the second file never heard of NEW
            second = base | {"categories": [{"code": "water", "name": "Water supply"}]}
            plan = services.apply(session, directory=parse(copy.deepcopy(second)), source="2", actor="t", now=START)
        thread.join(10)
        assert "retire  office NEW" in plan.lines()
        with factory() as session:
            assert {c: e["retired"] for c, e in export.live(session)["offices"].items()} == {"HQ": False, "NEW": True}
    finally:
        engine.dispose()


def test_a_file_too_large_is_refused_before_it_is_read(session, tmp_path):
    from directory.document import MAX_FILE_BYTES

    path = tmp_path / "directory.toml"
    with path.open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(DirectoryError, match="larger than 5 MB"):
        services.load_file(session, path=path, actor="tester", now=START)
