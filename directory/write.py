"""Writing a checked directory to its tables: only the entries that changed, parents before children, and the
open work of a retired office or category moved to its successor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from directory.format import RETIRE, Directory, Entry, Key
from escalation.models import RUNNING, Basis, Calendar, Deadline, Holiday, OfficeCalendar, SlaPolicy
from intake.actors import Actor
from intake.models import ActorType, Category, EventKind, Grievance, Office, OfficeLevel, Status
from intake.services import record
from routing.models import Area, CannedReply, RoutingRule


def write(session: Session, d: Directory, *, changes: list[Any], actor: str, now: datetime) -> None:
    """Write the changed entries of the new directory `d` to their rows (creating or retiring, never deleting),
    then move the open work of what was retired to its successor."""
    touched = {(c.section, c.key) for c in changes}
    categories = {c.code: c for c in session.scalars(select(Category))}
    for code, entry in d["categories"].items():
        if ("categories", code) in touched:
            _set_category(categories.setdefault(code, Category(code=code)), entry)
            session.add(categories[code])
    offices = {o.code: o for o in session.scalars(select(Office).options(selectinload(Office.categories)))}
    for code, entry in d["offices"].items():
        if ("offices", code) in touched:
            office = offices.setdefault(code, Office(code=code))
            _set_office(office, entry, categories)
            session.add(office)
    for code, entry in d["offices"].items():
        if ("offices", code) in touched:
            offices[code].parent = offices[entry["parent"]] if entry["parent"] else None
    session.flush()
    _write_areas(session, d, touched)
    _write_calendars(session, d, touched, offices)
    _write_slas(session, d, touched, categories, offices)
    _write_rules(session, d, touched, categories, offices, actor=actor, now=now)
    _write_replies(session, d, touched, categories)
    session.flush()
    who = Actor(type=ActorType.SYSTEM, name=f"Directory change by {actor}"[:200])
    for change in changes:
        if change.action == RETIRE and change.moves:
            successor = change.after["successor"]
            if change.section == "offices":
                _move_office_work(session, offices[change.key], offices[successor], actor=who, now=now)
            else:
                _move_category_work(session, categories[change.key], categories[successor], actor=who, now=now)


def _set_category(category: Category, e: Entry) -> None:
    category.name, category.translations, category.description = e["name"], e["translations"] or None, \
        e["description"]
    category.response_hours, category.resolution_hours = e["response_hours"], e["resolution_hours"]
    category.is_integrity, category.route_threshold = e["integrity"], e["route_threshold"]
    category.questions = e["questions"] or None
    category.active = not e["retired"]


def _set_office(office: Office, e: Entry, categories: dict[str, Category]) -> None:
    office.name, office.translations, office.level = e["name"], e["translations"] or None, OfficeLevel(e["level"])
    office.jurisdiction, office.timezone = list(e["jurisdiction"]), e["timezone"]
    office.is_oversight, office.is_integrity_unit = e["oversight"], e["integrity_unit"]
    office.categories = [categories[c] for c in e["categories"]]
    office.active = not e["retired"]


def _write_areas(session: Session, d: Any, touched: set[tuple[str, Key]]) -> None:
    areas = {a.code: a for a in session.scalars(select(Area))}
    for code, e in d["areas"].items():
        if ("areas", code) in touched:
            area = areas.get(code) or Area(code=code)
            area.names, area.translations, area.active = list(e["names"]), e["translations"] or None, not e["retired"]
            session.add(area)


def _write_calendars(session: Session, d: Any, touched: set[tuple[str, Key]], offices: dict[str, Office]) -> None:
    calendars = {c.code: c for c in session.scalars(select(Calendar).options(selectinload(Calendar.holidays)))}
    links = {link.office_id: link for link in session.scalars(select(OfficeCalendar))}
    for code, e in d["calendars"].items():
        if ("calendars", code) not in touched:
            continue
        calendar = calendars.get(code) or Calendar(code=code)
        calendar.name, calendar.timezone, calendar.week = e["name"], e["timezone"], dict(e["week"])
        calendar.active = not e["retired"]
        wanted = {h["day"]: h["name"] for h in e["holidays"]}
        for holiday in list(calendar.holidays):
            if holiday.day not in wanted:
                calendar.holidays.remove(holiday)  # a holiday is a value of its calendar; the version keeps it
            else:
                holiday.name = wanted.pop(holiday.day)
        calendar.holidays.extend(Holiday(day=day, name=name) for day, name in sorted(wanted.items()))
        session.add(calendar)
        session.flush()
        listed = {offices[o].id for o in e["offices"]} if not e["retired"] else set()
        for office_id, link in list(links.items()):
            if link.calendar_id == calendar.id and office_id not in listed:
                session.delete(link)
                del links[office_id]
        for office_id in listed:
            link = links.get(office_id) or OfficeCalendar(office_id=office_id)
            link.calendar_id = calendar.id
            links[office_id] = link
            session.add(link)


def _write_slas(session: Session, d: Any, touched: set[tuple[str, Key]], categories: dict[str, Category],
                offices: dict[str, Office]) -> None:
    policies = {(p.category_id, p.office_id): p for p in session.scalars(select(SlaPolicy))}
    for key, e in d["sla"].items():
        if ("sla", key) not in touched:
            continue
        ids = (categories[e["category"]].id if e["category"] else None,
               offices[e["office"]].id if e["office"] else None)
        policy = policies.get(ids) or SlaPolicy(category_id=ids[0], office_id=ids[1])
        policy.first_response_hours, policy.resolution_hours = e["first_response_hours"], e["resolution_hours"]
        policy.transfer_hours, policy.escalation_hours = e["transfer_hours"], e["escalation_hours"]
        policy.basis, policy.warn_fraction, policy.active = Basis(e["basis"]), e["warn_fraction"], not e["retired"]
        session.add(policy)


def _write_rules(session: Session, d: Any, touched: set[tuple[str, Key]], categories: dict[str, Category],
                 offices: dict[str, Office], *, actor: str, now: datetime) -> None:
    rules: dict[str, RoutingRule] = {}
    for rule in session.scalars(select(RoutingRule).order_by(RoutingRule.active.desc(), RoutingRule.id)):
        if rule.name in rules:
            rule.active = False  # a second rule of one name (the API once allowed it): the file's one stands
        rules.setdefault(rule.name, rule)
    for name, e in d["rules"].items():
        if ("rules", name) not in touched:
            continue
        rule = rules.get(name) or RoutingRule(name=name, created_at=now, created_by=actor[:64])
        rule.pattern, rule.is_regex, rule.priority, rule.active = e["pattern"], e["regex"], e["priority"], \
            not e["retired"]
        rule.category = categories[e["category"]] if e["category"] else None
        rule.office = offices[e["office"]] if e["office"] else None
        session.add(rule)


def _write_replies(session: Session, d: Any, touched: set[tuple[str, Key]], categories: dict[str, Category]) -> None:
    codes = {c.id: code for code, c in categories.items()}
    replies = {(codes.get(r.category_id) or "", r.language, r.title): r for r in session.scalars(select(CannedReply))}
    for key, e in d["replies"].items():
        if ("replies", key) not in touched:
            continue
        reply = replies.get(key) or CannedReply(category_id=categories[e["category"]].id if e["category"] else None,
                                                language=e["language"], title=e["title"])
        reply.text, reply.active = e["text"], not e["retired"]
        session.add(reply)


def _move_office_work(session: Session, office: Office, successor: Office, *, actor: Actor, now: datetime) -> None:
    """The retired office's open grievances go to its successor, each with a public `transferred` event credited
    to the retired office (the one they left, as every transfer is); their deadlines keep their times and now climb
    from the successor."""
    grievances = session.scalars(select(Grievance).where(Grievance.office_id == office.id,
                                                         Grievance.status != Status.CLOSED)).all()
    for grievance in grievances:
        grievance.office = successor
        record(grievance, kind=EventKind.TRANSFERRED, actor=actor, now=now, public=True, office_id=office.id,
               note=f"{office.name} was closed; {successor.name} took over its complaints.",
               data={"from_office": office.code, "to_office": successor.code, "reason": "office retired"})
    session.flush()
    session.execute(update(Deadline).where(Deadline.office_id == office.id, RUNNING)
                    .values(office_id=successor.id).execution_options(synchronize_session=False))


def _move_category_work(session: Session, category: Category, successor: Category, *, actor: Actor,
                        now: datetime) -> None:
    """The retired category's open grievances take its successor, each with a `transferred` event (staff only)."""
    for grievance in session.scalars(select(Grievance).where(Grievance.category_id == category.id,
                                                             Grievance.status != Status.CLOSED)):
        grievance.category = successor
        record(grievance, kind=EventKind.TRANSFERRED, actor=actor, now=now, office_id=grievance.office_id,
               data={"from_category": category.code, "to_category": successor.code, "reason": "category retired"})
