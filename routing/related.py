"""Related cases: a new report of a problem already open in the same area joins that case.

A burst main reported forty times is one case with forty citizens waiting on it; staff see the
cluster, and each citizen is told their report joined it. A citizen's own earlier grievances are
linked too, so whoever handles one sees the others. Integrity complaints are never linked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from classifier.similarity import similarity
from core.i18n import say
from intake.actors import SYSTEM
from intake.models import Confidentiality, EventKind, Grievance, GrievanceLink, LinkKind, Status
from intake.services import language_of, notify_citizen, record
from routing.services import Policy

MAX_CANDIDATES = 100  # the most recent: a burst main's forty reports arrive within hours
MAX_SAME_CITIZEN = 20
CLOSED_STATES = (Status.RESOLVED, Status.CLOSED)


def link_related(session: Session, *, grievance: Grievance, now: datetime, policy: Policy) -> Grievance | None:
    """Link the grievance to the citizen's other grievances and to the open case it repeats; return that case."""
    if grievance.confidentiality == Confidentiality.INTEGRITY:
        return None
    case = _open_case(session, grievance=grievance, now=now, policy=policy)
    if grievance.citizen_id is not None:
        earlier = session.scalars(select(Grievance.id).where(
            Grievance.citizen_id == grievance.citizen_id, Grievance.id != grievance.id,
            Grievance.confidentiality != Confidentiality.INTEGRITY).order_by(Grievance.id.desc())
            .limit(MAX_SAME_CITIZEN))
        for other_id in earlier:
            if case is None or other_id != case.id:  # their own report may be the case they join: one link
                session.add(GrievanceLink(grievance_id=grievance.id, other_id=other_id, kind=LinkKind.SAME_CITIZEN,
                                          created_at=now))
    if case is None:
        return None
    session.add(GrievanceLink(grievance_id=grievance.id, other_id=case.id, kind=LinkKind.RELATED, created_at=now))
    record(grievance, kind=EventKind.LINKED, actor=SYSTEM, now=now, public=True,
           data={"case": case.tracking_number})
    notify_citizen(session, grievance=grievance, now=now, purpose="related",
                   body=say(language_of(grievance), "{tracking}: others reported the same problem. It is handled "
                            "with case {case}; you will hear when it moves.", tracking=grievance.tracking_number,
                            case=case.tracking_number))
    return case


def _open_case(session: Session, *, grievance: Grievance, now: datetime, policy: Policy) -> Grievance | None:
    """The open grievance in the same area and category most like this one, if alike enough; its case's root."""
    if grievance.admin_area is None or grievance.category_id is None:
        return None
    conditions = [Grievance.admin_area == grievance.admin_area, Grievance.category_id == grievance.category_id,
                  Grievance.id != grievance.id, Grievance.status.not_in(CLOSED_STATES),
                  Grievance.confidentiality != Confidentiality.INTEGRITY,
                  Grievance.received_at >= now - timedelta(days=policy.related_days)]
    if grievance.citizen_id is not None:  # their own earlier reports are linked as theirs, not as "others"
        conditions.append(or_(Grievance.citizen_id.is_(None), Grievance.citizen_id != grievance.citizen_id))
    candidates = session.execute(select(Grievance.id, Grievance.text).where(*conditions)
                                 .order_by(Grievance.id.desc()).limit(MAX_CANDIDATES)).all()
    if not candidates:
        return None
    scores = similarity(grievance.text, [text for _, text in candidates])
    best = max(range(len(scores)), key=scores.__getitem__)
    if scores[best] < policy.related_similarity:
        return None
    return case_root(session, candidates[best][0])


def case_root(session: Session, grievance_id: int) -> Grievance | None:
    """The grievance a case hangs from: the one a related report points to, or the grievance itself."""
    root_id = session.scalar(select(GrievanceLink.other_id).where(
        GrievanceLink.grievance_id == grievance_id, GrievanceLink.kind == LinkKind.RELATED))
    return session.get(Grievance, root_id if root_id is not None else grievance_id)


def links(session: Session, grievance: Grievance) -> list[tuple[LinkKind, Grievance]]:
    """Every grievance linked to this one, either way, oldest first."""
    rows = session.execute(select(GrievanceLink.kind, Grievance).join(
        Grievance, or_(
            (GrievanceLink.other_id == Grievance.id) & (GrievanceLink.grievance_id == grievance.id),
            (GrievanceLink.grievance_id == Grievance.id) & (GrievanceLink.other_id == grievance.id),
        )).order_by(Grievance.id))
    return [(kind, other) for kind, other in rows]
