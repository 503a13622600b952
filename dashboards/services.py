"""Writers of the weekly meeting: recording decisions as action items and closing them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from dashboards.models import ActionItem, ActionStatus
from intake.access import subtree
from intake.models import Office


def record_action(session: Session, *, meeting_office: Office, week: str, text: str, owner: Office | None,
                  due_on: date | None, by: str, now: datetime) -> ActionItem:
    """A decision of this week's meeting: what, which office does it, by when."""
    text = text.strip()
    if not text or len(text) > 1000:
        raise InvalidInput("describe the action in 1 to 1,000 characters", field="text")
    parents = dict(session.execute(select(Office.id, Office.parent_id)).all())
    if owner is None or owner.id not in subtree(parents, meeting_office.id):
        raise InvalidInput(f"choose the office that will do it: {meeting_office.name} or an office under it "
                           "(no office of another tree)", field="owner")
    if due_on is None or due_on < now.date():
        raise InvalidInput("give a due date from today on", field="due_on")
    item = ActionItem(meeting_office_id=meeting_office.id, week=week, text=text, owner_office_id=owner.id,
                      due_on=due_on, status=ActionStatus.OPEN, created_at=now, created_by=by)
    session.add(item)
    session.flush()
    return item


def close_action(session: Session, *, item_id: int, meeting_office: Office, status: str, note: str,
                 now: datetime) -> ActionItem:
    """Mark an item done or dropped, with a word on how; it shows once more in the next pack, then leaves."""
    item = session.get(ActionItem, item_id)
    if item is None or item.meeting_office_id != meeting_office.id:
        raise NotFound("no such action item for this meeting")
    if status not in (ActionStatus.DONE, ActionStatus.DROPPED):
        raise InvalidInput("an action item is closed as done or dropped", field="status")
    if item.status is not ActionStatus.OPEN:
        raise Conflict(f"this action item is already {item.status.value}")
    item.status, item.closed_at, item.closing_note = ActionStatus(status), now, note.strip()[:1000] or None
    return item
