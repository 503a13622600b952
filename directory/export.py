"""The live directory as a document, in the file's own format: `directory export` writes it, each version
stores it, and loading the file compares against it."""

from __future__ import annotations

from typing import Any

import tomli_w
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from directory.document import parse
from directory.format import SECTIONS, Directory, Entry
from escalation.models import Calendar, OfficeCalendar, SlaPolicy
from intake.models import Category, Office
from routing.models import Area, CannedReply, RoutingRule

HEADER = ("# OpenRedress directory. Load it with `redress directory load FILE.toml` (docs/directory.md).\n"
          "# An entry left out of the file is retired when it is loaded; nothing is ever deleted.\n\n")


def document(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of the directory, retired ones too, as the file writes it."""
    offices = session.scalars(select(Office).options(selectinload(Office.categories))).all()
    codes = {o.id: o.code for o in offices}
    category_codes = {c.id: c.code for c in session.scalars(select(Category))}
    calendar_offices: dict[int, list[str]] = {}
    for office_id, calendar_id in session.execute(select(OfficeCalendar.office_id, OfficeCalendar.calendar_id)):
        calendar_offices.setdefault(calendar_id, []).append(codes[office_id])
    rules: dict[str, RoutingRule] = {}
    for rule in session.scalars(select(RoutingRule).order_by(RoutingRule.active.desc(), RoutingRule.id)):
        rules.setdefault(rule.name, rule)  # the API once allowed two rules of one name: the live one stands
    return {
        "categories": [_category(c) for c in session.scalars(select(Category).order_by(Category.code))],
        "offices": [_office(o, codes) for o in _tree_order(offices)],
        "areas": [{"code": a.code, "names": list(a.names), "translations": a.translations or {},
                   "retired": not a.active} for a in session.scalars(select(Area).order_by(Area.code))],
        "calendars": [{"code": c.code, "name": c.name, "timezone": c.timezone, "week": dict(c.week),
                       "holidays": [{"day": h.day, "name": h.name} for h in c.holidays],
                       "offices": sorted(calendar_offices.get(c.id, [])), "retired": not c.active}
                      for c in session.scalars(select(Calendar).options(selectinload(Calendar.holidays))
                                               .order_by(Calendar.code))],
        "sla": [{"category": category_codes.get(p.category_id), "office": codes.get(p.office_id),
                 "first_response_hours": p.first_response_hours, "resolution_hours": p.resolution_hours,
                 "transfer_hours": p.transfer_hours, "escalation_hours": p.escalation_hours, "basis": p.basis.value,
                 "warn_fraction": p.warn_fraction, "retired": not p.active}
                for p in session.scalars(select(SlaPolicy).order_by(SlaPolicy.id))],
        "rules": [{"name": r.name, "pattern": r.pattern, "regex": r.is_regex, "category": category_codes.get(
                   r.category_id), "office": codes.get(r.office_id), "priority": r.priority, "retired": not r.active}
                  for r in sorted(rules.values(), key=lambda r: (r.priority, r.id))],
        "replies": [{"category": category_codes.get(r.category_id), "language": r.language, "title": r.title,
                     "text": r.text, "retired": not r.active}
                    for r in session.scalars(select(CannedReply).order_by(CannedReply.id))],
    }


def _category(c: Category) -> dict[str, Any]:
    questions = [{k: v for k, v in q.items() if k != "order"} for q in c.questions or []]
    return {"code": c.code, "name": c.name, "translations": c.translations or {}, "description": c.description,
            "response_hours": c.response_hours, "resolution_hours": c.resolution_hours, "integrity": c.is_integrity,
            "route_threshold": c.route_threshold, "questions": questions, "retired": not c.active}


def _office(o: Office, codes: dict[int, str]) -> dict[str, Any]:
    return {"code": o.code, "name": o.name, "translations": o.translations or {}, "level": o.level.value,
            "parent": codes.get(o.parent_id), "jurisdiction": list(o.jurisdiction or []), "timezone": o.timezone,
            "oversight": o.is_oversight, "integrity_unit": o.is_integrity_unit,
            "categories": sorted(c.code for c in o.categories), "retired": not o.active}


def _tree_order(offices: list[Office]) -> list[Office]:
    """Parents before children, siblings by code: the file reads like the organisation chart."""
    children: dict[int | None, list[Office]] = {}
    for office in offices:
        children.setdefault(office.parent_id, []).append(office)
    ordered: list[Office] = []
    stack = sorted(children.get(None, []), key=lambda o: o.code, reverse=True)
    while stack:
        office = stack.pop()
        ordered.append(office)
        stack.extend(sorted(children.get(office.id, []), key=lambda o: o.code, reverse=True))
    placed = {o.id for o in ordered}
    return ordered + [o for o in offices if o.id not in placed]  # a broken tree still exports whole


def live(session: Session) -> Directory:
    """The live directory in normal form."""
    return parse(document(session))


def to_document(directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """The file form of a directory: no empty values, `retired` only where true, no successors (done once)."""
    return {section: [to_document_entry(entry) for entry in directory[section].values()] for section in SECTIONS
            if directory[section]}


def to_document_entry(entry: Entry) -> dict[str, Any]:
    out = {}
    for key, value in entry.items():
        if value is None or value == {} or key == "successor" or (key in ("retired", "questions") and not value):
            continue
        if key == "questions":
            value = [{k: v for k, v in q.items() if k != "order" and v != []} for q in value]
        out[key] = value
    return out


def dumps(directory: Directory) -> str:
    return HEADER + tomli_w.dumps(to_document(directory))
