"""Routing writers: the first routing of a new grievance, triage decisions and transfers ("no wrong door").

A new grievance's category comes from, in order: the submitter, an admin rule, the model when it is
at least as confident as the category's threshold. Its office comes from a rule naming one, else from
the category and the area (the grievance's, else the citizen's). Complaints about staff integrity go
to the integrity unit, never to the office complained about. Anything undecided waits in triage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput
from core.i18n import say
from core.settings import Settings
from intake import normalise
from intake.actors import SYSTEM, Actor
from intake.models import (
    Category,
    Confidentiality,
    EventKind,
    Grievance,
    Office,
    OfficeLevel,
    Status,
    office_categories,
)
from intake.services import language_of, notify_citizen, transition
from routing import rules
from routing.areas import mentioned_area
from routing.models import CorrectionKind, RoutingCorrection
from routing.registry import ActiveModel

EXPLAINED_TERMS = 5
ADMINISTRATIVE_LEVELS = (OfficeLevel.DISTRICT, OfficeLevel.PROVINCE, OfficeLevel.MINISTRY)


@dataclass(frozen=True)
class Policy:
    """The routing settings, built once from Settings."""

    max_transfers: int = 3
    integrity_review_probability: float = 0.25
    related_similarity: float = 0.3
    related_days: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(max_transfers=settings.max_transfers,
                   integrity_review_probability=settings.integrity_review_probability,
                   related_similarity=settings.related_similarity, related_days=settings.related_days)


def covers(office: Office, area: str | None) -> bool:
    """An office covers an area code it lists, or any area inside one (RV covers RV-N and RV-N-07)."""
    if area is None:
        return False
    return any(area == code or area.startswith(code + "-") for code in office.jurisdiction or [])


def _specificity(office: Office, area: str) -> int:
    """How closely an office's jurisdiction fits the area: the longest of its codes that covers it."""
    return max(len(code) for code in office.jurisdiction if area == code or area.startswith(code + "-"))


def area_of(grievance: Grievance) -> str | None:
    """Where the problem is: the grievance's own area, else where the citizen last said they live."""
    if grievance.admin_area:
        return grievance.admin_area
    return grievance.citizen.admin_area if grievance.citizen is not None else None


def candidate_offices(session: Session, *, category: Category, area: str) -> list[Office]:
    """Active offices that handle the category and cover the area, nearest jurisdiction first."""
    offices = session.scalars(select(Office).join(office_categories).where(
        Office.active, office_categories.c.category_id == category.id))
    return sorted((o for o in offices if covers(o, area)), key=lambda o: -_specificity(o, area))


def office_for(session: Session, *, category: Category, area: str | None) -> tuple[Office | None, str]:
    """The office for a category in an area, climbing to the area's administration when none handles it there."""
    if area is None:
        handlers = list(session.scalars(select(Office).join(office_categories).where(
            Office.active, office_categories.c.category_id == category.id)))
        if len(handlers) == 1:
            return handlers[0], f"{handlers[0].code} is the only office for {category.code}"
        return None, f"no area given, and {len(handlers)} offices handle {category.code}"
    candidates = candidate_offices(session, category=category, area=area)
    if candidates:
        best = _specificity(candidates[0], area)
        nearest = [o for o in candidates if _specificity(o, area) == best]
        if len(nearest) == 1:
            return nearest[0], f"{nearest[0].code} handles {category.code} in {area}"
        return None, f"{len(nearest)} offices handle {category.code} in {area}: " + ", ".join(o.code for o in nearest)
    above = _nearest(session, area, lambda o: o.level in ADMINISTRATIVE_LEVELS, or_highest=False)
    if above is not None:
        return above, f"no office handles {category.code} in {area}; sent to {above.code}, the nearest office above"
    return None, f"no office covers area {area}"


def _nearest(session: Session, area: str | None, wanted, *, or_highest: bool) -> Office | None:  # noqa: ANN001
    """The active office matching `wanted` whose jurisdiction fits the area best; with none, the highest if asked."""
    offices = [o for o in session.scalars(select(Office).where(Office.active).order_by(Office.id)) if wanted(o)]
    covering = sorted((o for o in offices if covers(o, area)), key=lambda o: -_specificity(o, area))
    if covering:
        return covering[0]
    return min(offices, key=lambda o: list(OfficeLevel).index(o.level), default=None) if or_highest else None


def integrity_unit_for(session: Session, area: str | None) -> Office | None:
    """The integrity unit for the area, else the highest one: integrity complaints never stay unhandled."""
    return _nearest(session, area, lambda o: o.is_integrity_unit, or_highest=True)


def oversight_for(session: Session, area: str | None) -> Office | None:
    return _nearest(session, area, lambda o: o.is_oversight, or_highest=True)


def route_new(session: Session, *, grievance: Grievance, now: datetime, model: ActiveModel | None = None,
              policy: Policy | None = None) -> Office | None:
    """Route a new grievance to one office, or to the triage queue; the event says what decided and why."""
    policy = policy or Policy()
    categories = {c.code: c for c in session.scalars(select(Category).where(Category.active))}
    reasons: list[str] = []
    data: dict[str, Any] = {}
    probabilities: dict[str, float] = {}
    if model is not None:
        prediction = model.model.predict(grievance.text, k=len(model.model.labels))
        probabilities = dict(prediction.top)
        grievance.classifier_label = prediction.label
        grievance.classifier_confidence = prediction.confidence
        grievance.model_version = model.version
        data["prediction"] = {"label": prediction.label, "confidence": round(prediction.confidence, 3),
                              "top": [[label, round(p, 3)] for label, p in prediction.top[:3]],
                              "model_version": model.version,
                              "why": [term for term, _ in model.model.explain(grievance.text, prediction.label,
                                                                                k=EXPLAINED_TERMS)]}
    rule = rules.first_match(session, grievance.text)
    if rule is not None:
        data["rule"] = rule.name

    category, source = grievance.category, "submitted"
    if category is not None:
        reasons.append(f"category {category.code} was given when it was submitted")
    elif rule is not None and rule.category is not None:
        category, source = rule.category, "rule"
        reasons.append(f"rule {rule.name!r} matched: {category.code}")
    elif model is not None:
        category, why = _model_category(model, categories, grievance)
        source = "model"
        reasons.append(why)
    else:
        reasons.append("no rule matched and no model is active")

    integrity_mass = sum(p for label, p in probabilities.items() if label in categories
                         and categories[label].is_integrity)
    if category is None or not category.is_integrity:
        if rule is not None and rule.category is not None and rule.category.is_integrity:
            category, source = rule.category, "rule"
            reasons.append(f"rule {rule.name!r} marks it as an integrity complaint")
        elif category is not None and integrity_mass >= policy.integrity_review_probability:
            # it would go straight to an office that may be the one complained about; triage is neutral ground
            likeliest = max((label for label in probabilities if label in categories
                             and categories[label].is_integrity), key=probabilities.__getitem__)
            category, source = categories[likeliest], "integrity-review"
            reasons.append(f"it may concern staff integrity (probability {integrity_mass:.2f} ≥ "
                           f"{policy.integrity_review_probability:.2f}); the integrity unit reviews it")
        elif integrity_mass >= policy.integrity_review_probability:
            reasons.append(f"it may concern staff integrity (probability {integrity_mass:.2f}): if so, route it "
                           "to the integrity unit")

    area = area_of(grievance)
    if area is None:
        named = mentioned_area(session, grievance.text)
        if named is not None:
            area = grievance.admin_area = named[0]
            reasons.append(f"the text names {named[1]!r}, in area {area}")
    office: Office | None = None
    if category is not None and category.is_integrity:
        grievance.confidentiality = Confidentiality.INTEGRITY
        office = integrity_unit_for(session, area)
        reasons.append(f"integrity complaints go to {office.code}, never to the office complained about"
                       if office else "no integrity unit exists: triage decides")
    elif rule is not None and rule.office is not None and rule.office.active:
        office = rule.office
        reasons.append(f"rule {rule.name!r} sends it to {office.code}")
    elif category is not None:
        office, why = office_for(session, category=category, area=area)
        reasons.append(why)

    grievance.category = category
    data |= {"category": category.code if category else None, "source": source, "area": area, "reasons": reasons}
    if office is not None:
        grievance.office = office
        transition(session, grievance=grievance, to=Status.ASSIGNED, actor=SYSTEM, now=now, kind=EventKind.ROUTED,
                   office_id=office.id, data={"office": office.code, **data})
        return office
    transition(session, grievance=grievance, to=Status.TRIAGE, actor=SYSTEM, now=now, kind=EventKind.ROUTED,
               data={"office": None, "reason": reasons[-1], **data})
    return None


def _model_category(model: ActiveModel, categories: dict[str, Category],
                    grievance: Grievance) -> tuple[Category | None, str]:
    label, confidence = grievance.classifier_label or "", grievance.classifier_confidence or 0.0
    category = categories.get(label)
    if category is None:
        return None, f"the model's label {label!r} is not an active category"
    threshold = category.route_threshold if category.route_threshold is not None else model.model.threshold_for(label)
    if confidence >= threshold:
        return category, f"model: {label} at {confidence:.2f} ≥ threshold {threshold:.2f}"
    return None, f"model unsure: {label} at {confidence:.2f} < threshold {threshold:.2f}"


def transfer(session: Session, *, grievance: Grievance, to_office: Office, actor: Actor, now: datetime,
             note: str | None, category: Category | None = None, policy: Policy | None = None) -> Office:
    """Pass a grievance to the office that can act on it, with a reason; from triage this is the first routing.

    An office can never close a grievance as "not ours": it transfers it. The citizen's silence clock
    keeps running (first_response_at is untouched). The transfer that reaches `max_transfers` sends it
    to oversight instead. Every decision is stored as a training label with how long the grievance sat.
    Returns the office that received it.
    """
    policy = policy or Policy()
    reason = normalise.clean_text(note or "", field="note", max_chars=2000, required=False)
    from_office = grievance.office
    if not to_office.active:
        raise InvalidInput(f"office {to_office.code} is not active", field="office")
    if from_office is not None and from_office.id == to_office.id:
        raise Conflict(f"the grievance is already with {to_office.code}")
    if grievance.status in (Status.RESOLVED, Status.CLOSED):
        raise Conflict(f"a {grievance.status.value} grievance cannot be transferred; reopen it first")
    first_routing = grievance.status in (Status.RECEIVED, Status.TRIAGE)
    if not first_routing and not reason:
        raise InvalidInput("a transfer needs a reason in note", field="note")
    label = _label(grievance, to_office, category, required=first_routing)
    data: dict[str, Any] = {"from_office": from_office.code if from_office else None,
                            "category": label.code if label else None}
    oversight_office = to_office.is_oversight or to_office.is_integrity_unit
    unexplained = grievance.confidentiality == Confidentiality.INTEGRITY and category is None
    if not oversight_office and (unexplained or (label is not None and label.is_integrity)):
        unit = integrity_unit_for(session, area_of(grievance))
        raise Conflict(f"this is an integrity complaint: transfer it to the integrity unit"
                       f"{' ' + unit.code if unit else ''}, never to an office that could be the one complained "
                       "about; to declassify it, name its non-integrity category", field="office")
    if grievance.confidentiality == Confidentiality.INTEGRITY and not oversight_office:
        grievance.confidentiality = (Confidentiality.ANONYMOUS if _submitted_anonymously(grievance)
                                     else Confidentiality.NORMAL)
        data["declassified"] = True  # oversight judged it not an integrity matter
    elif label is not None and label.is_integrity:
        grievance.confidentiality = Confidentiality.INTEGRITY
    counted = not first_routing and not (from_office is not None and from_office.is_oversight)
    if counted and grievance.transfer_count + 1 >= policy.max_transfers and not oversight_office:
        oversight = oversight_for(session, area_of(grievance))
        if oversight is not None and (from_office is None or oversight.id != from_office.id):
            data |= {"requested_office": to_office.code,
                     "reason": f"transferred {grievance.transfer_count + 1} times; oversight decides where it goes"}
            to_office = oversight
    data["to_office"] = to_office.code
    held = _held_seconds(grievance, now) if from_office is not None else None
    session.add(RoutingCorrection(
        grievance_id=grievance.id, kind=CorrectionKind.TRIAGE if first_routing else CorrectionKind.TRANSFER, at=now,
        category_id=label.id if label else None, predicted_label=grievance.classifier_label,
        predicted_confidence=grievance.classifier_confidence, model_version=grievance.model_version,
        from_office_id=from_office.id if from_office else None, to_office_id=to_office.id, held_seconds=held,
        actor_id=actor.id, note=reason or None))
    if label is not None:
        grievance.category = label
    grievance.office = to_office
    # A transfer is the sending office's act: its event is credited there (data names both ends). A first
    # routing has no sender: its event names the office it went to.
    transition(session, grievance=grievance, to=Status.ASSIGNED, actor=actor, now=now,
               kind=EventKind.ROUTED if first_routing else EventKind.TRANSFERRED, note=reason or None,
               office_id=to_office.id if first_routing or from_office is None else from_office.id, data=data)
    if not first_routing:
        grievance.transfer_count += 1
        notify_citizen(session, grievance=grievance, now=now, purpose="transferred",
                       body=say(language_of(grievance), "{tracking}: your complaint was passed to {office}, "
                                "which can act on it.", tracking=grievance.tracking_number,
                                office=to_office.name_in(language_of(grievance))))
    return to_office


def _label(grievance: Grievance, office: Office, given: Category | None, *, required: bool) -> Category | None:
    """The category this routing decision teaches: the one named, else the one the receiving office implies."""
    if given is not None:
        return given
    handled = [c for c in office.categories if c.active]
    if grievance.category is not None and (grievance.category in handled or not handled):
        return grievance.category
    if len(handled) == 1:
        return handled[0]
    if grievance.category is not None and not required:
        return grievance.category
    if required:
        codes = ", ".join(c.code for c in handled) or "none"
        raise InvalidInput(f"name the category too: {office.code} handles several ({codes})", field="category")
    return None


def _held_seconds(grievance: Grievance, now: datetime) -> float | None:
    """How long the current office has had it: since the latest routing or transfer event."""
    arrived = max((e.at for e in grievance.events if e.kind in (EventKind.ROUTED, EventKind.TRANSFERRED)
                   and e.to_status == Status.ASSIGNED), default=None)
    return (now - arrived).total_seconds() if arrived is not None else None


def _submitted_anonymously(grievance: Grievance) -> bool:
    return any(e.kind == EventKind.SUBMITTED and (e.data or {}).get("anonymous") for e in grievance.events)
