"""Loading an office directory: the demo file loads and reloads in place; a broken file is refused
with a message naming the row, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import InvalidInput
from escalation.directory import load_file
from intake.models import Category, Office, StaffUser
from routing.directory import load
from tests.conftest import START

GOOD_CATEGORY = {"code": "parks", "name": "Parks"}
GOOD_OFFICE = {"code": "RV-PARKS", "name": "Parks Office", "level": "office", "parent": "RV",
               "jurisdiction": ["RV"], "timezone": "Asia/Kathmandu", "categories": ["parks"]}


def counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Category, Office, StaffUser))


CASES = [
    ("missing-name", {"categories": [{"code": "x"}]}, "'name' is required"),
    ("hours-text", {"categories": [GOOD_CATEGORY | {"response_hours": "two days"}]}, "whole number of hours"),
    ("hours-negative", {"categories": [GOOD_CATEGORY | {"resolution_hours": -5}]}, "whole number of hours"),
    ("not-tables", {"categories": ["water"]}, "list of tables"),
    ("unknown-parent", {"categories": [GOOD_CATEGORY], "offices": [GOOD_OFFICE | {"parent": "NOPE"}]},
     "listed before it"),
    ("unknown-category", {"offices": [GOOD_OFFICE | {"categories": ["unicorns"]}]}, "unknown categories"),
    ("bad-level", {"categories": [GOOD_CATEGORY], "offices": [GOOD_OFFICE | {"level": "kingdom"}]}, "level"),
    ("bad-timezone", {"categories": [GOOD_CATEGORY], "offices": [GOOD_OFFICE | {"timezone": "Mars/Base"}]},
     "unknown timezone"),
    ("jurisdiction-string", {"categories": [GOOD_CATEGORY], "offices": [GOOD_OFFICE | {"jurisdiction": "RV"}]},
     "list of codes"),
    ("staff-unknown-office", {"staff": [{"username": "a", "name": "A", "role": "officer", "office": "NOPE"}]},
     "unknown office"),
    ("staff-bad-role", {"staff": [{"username": "a", "name": "A", "role": "king", "office": "RV"}]}, "role"),
    ("long-name", {"categories": [GOOD_CATEGORY | {"name": "x" * 500}]}, "longer than 200"),
    ("threshold-too-high", {"categories": [GOOD_CATEGORY | {"route_threshold": 1.5}]}, "'route_threshold'"),
    ("rule-bad-regex", {"rules": [{"name": "r", "pattern": "(", "regex": True, "category": "water"}]},
     "rule r: pattern is not a valid regular expression"),
    ("rule-decides-nothing", {"rules": [{"name": "r", "pattern": "x"}]}, "rule r: name a category"),
    ("rule-unknown-category", {"rules": [{"name": "r", "pattern": "x", "category": "nope"}]}, "unknown category"),
    ("rule-unknown-office", {"rules": [{"name": "r", "pattern": "x", "office": "NOPE"}]}, "unknown office"),
    ("rule-priority-text", {"rules": [{"name": "r", "pattern": "x", "category": "water", "priority": "high"}]},
     "'priority' must be a whole number"),
    ("area-no-names", {"areas": [{"code": "RV-X", "names": []}]}, "area RV-X: 'names'"),
    ("area-names-string", {"areas": [{"code": "RV-X", "names": "Xville"}]}, "list"),
    ("area-no-code", {"areas": [{"names": ["Xville"]}]}, "'code' is required"),
]


@pytest.mark.parametrize(("data", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_directories_are_refused_and_store_nothing(session, data, says):
    before = counts(session)
    savepoint = session.begin_nested()
    with pytest.raises(InvalidInput, match=says):
        load(session, data=data, now=START, staff_password="a-long-password")
    savepoint.rollback()
    assert counts(session) == before


def test_unreadable_file_is_a_clear_error(session, tmp_path):
    broken = tmp_path / "directory.toml"
    broken.write_text("[[offices]\ncode = ")
    with pytest.raises(InvalidInput, match="cannot read directory file directory.toml"):
        load_file(session, path=broken, now=START)


def test_reloading_updates_in_place(session):
    load(session, data={"categories": [GOOD_CATEGORY], "offices": [GOOD_OFFICE]}, now=START, staff_password=None)
    before = counts(session)
    load(session, data={"categories": [GOOD_CATEGORY | {"name": "Parks and gardens"}], "offices": [GOOD_OFFICE]},
         now=START, staff_password=None)
    assert counts(session) == before
    assert session.scalar(select(Category.name).where(Category.code == "parks")) == "Parks and gardens"
    office = session.scalar(select(Office).where(Office.code == "RV-PARKS"))
    assert office.parent.code == "RV" and [c.code for c in office.categories] == ["parks"]


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


@pytest.mark.parametrize("questions, says", [
    ("not a list", "must be a list"), ([{"description": "x"}], "code"),
    ([{"code": "a", "description": "x"}, {"code": "a", "description": "y"}], "unique"),
    ([{"code": "a", "description": "x", "datatype": "colour"}], "datatype is one of"),
    ([{"code": "a", "description": "x", "datatype": "singlevaluelist"}], "needs values"),
], ids=["not-a-list", "no-code", "twice", "datatype", "no-values"])
def test_a_categorys_questions_are_checked(questions, says):
    from routing.directory import questions as check

    with pytest.raises(InvalidInput, match=says):
        check(questions, "category roads")
