"""The one way the directory changes: a whole directory is checked, compared with the live one, and applied in
the caller's transaction as a new version, each change audited.

`directory load` gives it a file; an admin page gives it the live directory with one entry edited; both get the
same checks and the same messages. An entry that is live but missing from the new directory is retired; an
office or category retired with open grievances needs a successor, to which they move with a `transferred`
event each and their clocks as they were. Nothing is deleted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, directory_version
from core.errors import Conflict, NotFound
from directory import export
from directory.document import MAX_FILE_BYTES, missing_translations, parse, read
from directory.format import ADD, CHANGE, RETIRE, Directory, DirectoryError, Entry, Key, Problem, label
from directory.models import DirectoryVersion
from directory.write import write
from intake.models import Category, Grievance, Office, StaffUser, Status


@dataclass(frozen=True)
class Change:
    action: str
    section: str
    key: Key
    before: Entry | None
    after: Entry | None
    moves: int = 0  # open grievances that move to the successor

    def describe(self) -> str:
        what = label(self.section, self.key)
        if self.action == ADD:
            name = self.after.get("name") if self.after else None
            retired = " (retired)" if self.after and self.after["retired"] else ""
            return f"add     {what}" + (f" ({name})" if name and self.section != "rules" else "") + retired
        if self.action == RETIRE:
            successor = (self.after or {}).get("successor")
            moved = f"; {self.moves} open grievances move to {successor}" if self.moves else ""
            return f"retire  {what}{moved}"
        return f"change  {what}: " + "; ".join(_differences(self.before or {}, self.after or {}))


def _differences(before: Entry, after: Entry) -> list[str]:
    out = []
    for key in after:
        if key != "successor" and before.get(key) != after[key]:
            out.append(f"{key} {_short(before.get(key))} → {_short(after[key])}")
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong: names missing in a language
    version: int | None = None  # the version it made, once applied

    def summary(self) -> str:
        counts = Counter(c.action for c in self.changes)
        return f"{counts[ADD]} added, {counts[CHANGE]} changed, {counts[RETIRE]} retired"

    def lines(self) -> list[str]:
        return [c.describe() for c in self.changes]


def latest_version(session: Session) -> int | None:
    return session.scalar(select(func.max(DirectoryVersion.id)))


def load_file(session: Session, *, path: Path, actor: str, now: datetime, dry_run: bool = False) -> Plan:
    """Load a directory file: checked whole, then applied unless `dry_run`."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:  # refused before it is read into memory
            raise DirectoryError([Problem("file", f"larger than {MAX_FILE_BYTES // 1024 // 1024} MB")])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DirectoryError([Problem("file", f"cannot read {path.name}: {exc}")]) from exc
    return load_text(session, text=text, source=f"file {path.name}", actor=actor, now=now, dry_run=dry_run)


def load_text(session: Session, *, text: str, source: str, actor: str, now: datetime, dry_run: bool = False,
              expected_version: int | None = None) -> Plan:
    return apply(session, directory=parse(read(text), text=text), source=source, actor=actor, now=now,
                 dry_run=dry_run, expected_version=expected_version)


def apply(session: Session, *, directory: Directory, source: str, actor: str, now: datetime, dry_run: bool = False,
          expected_version: int | None = None, current: Directory | None = None) -> Plan:
    """Compare with the live directory (`current`, if the caller has just read it), refuse what would break open
    work, and apply it as a new version.

    `expected_version` (the admin pages) refuses a change made on a page read before someone else's change."""
    _serialise(session)
    if expected_version is not None and latest_version(session) not in (expected_version, None):
        raise Conflict("the directory changed since this page was opened: reload it and make the change again")
    current = current if current is not None else export.live(session)
    plan = Plan(changes=_compare(current, directory))
    _check_consequences(session, plan, current, directory)
    missing = missing_translations(directory)
    plan.notes = [f"{count} offices, categories or areas have no name in {language}: the English name is shown"
                  for language, count in sorted(missing.items())]
    if dry_run or not plan.changes:
        return plan
    write(session, directory, changes=plan.changes, actor=actor, now=now)
    session.flush()
    # The new directory, retirements included, is what the database now holds (tests/test_directory.py checks
    # export → load), so the version stores it without reading everything back.
    version = DirectoryVersion(created_at=now, actor=actor[:100], source=source[:200], summary=plan.summary(),
                               document=export.dumps(directory))
    session.add(version)
    session.flush()
    plan.version = version.id
    for change in plan.changes:
        audit.record(session, at=now, actor=actor, action=f"{_singular(change.section)}.{change.action}",
                     subject=label(change.section, change.key), before=_jsonable(change.before),
                     after=_jsonable(change.after), version=version.id)
    return plan


def edit(session: Session, *, section: str, changes: list[tuple[Key | None, dict[str, Any]]], source: str,
         actor: str, now: datetime, expected_version: int | None, live: Directory | None = None) -> Plan:
    """Entries of one section added (key None) or changed — retired with `retired = true` — in the live directory,
    which is then checked and applied whole: the admin pages' and the API's way to the same checks as a file.

    A caller that has just read the live directory passes it (`live`) with the version it read, which then refuses
    the change if another one came in between."""
    _serialise(session)
    if live is None:
        live = export.live(session)
    elif expected_version is None:
        raise ValueError("a directory read before the change needs the version it was read at")
    document = export.to_document(live)
    entries = document.setdefault(section, [])
    keys = list(live[section])
    for key, entry in changes:
        if key is None:
            entries.append(entry)
        elif key in keys:
            entries[keys.index(key)] = entry
        else:
            raise NotFound(f"no {label(section, key)} in the directory")
    return apply(session, directory=parse(document), source=source, actor=actor, now=now,
                 expected_version=expected_version, current=live)


def import_holidays(session: Session, *, calendar_code: str, holidays: list[tuple[date, str]], source: str,
                    actor: str, now: datetime) -> int:
    """Add (or rename) a calendar's holidays, as a directory change; returns how many days are new."""
    calendars = export.live(session)["calendars"]
    code = calendar_code.strip().upper()
    if code not in calendars:
        raise NotFound(f"no calendar {calendar_code!r}; the directory's [[calendars]] define them")
    entry = export.to_document_entry(calendars[code])
    known = {h["day"]: h["name"] for h in entry.get("holidays", [])}
    added = sum(1 for day, _ in holidays if day not in known)
    known |= dict(holidays)
    entry["holidays"] = [{"day": day, "name": name} for day, name in sorted(known.items())]
    edit(session, section="calendars", changes=[(code, entry)], source=source, actor=actor, now=now,
         expected_version=None)
    return added


def _serialise(session: Session) -> None:
    """One directory change at a time: the second waits for the first to commit and then compares against it
    (PostgreSQL locks the directory's token row; SQLite's writers already take turns)."""
    session.execute(select(directory_version.DirectoryVersion.id).where(directory_version.DirectoryVersion.id == 1)
                    .with_for_update())


def _singular(section: str) -> str:
    return {"categories": "category", "offices": "office", "areas": "area", "calendars": "calendar",
            "sla": "sla", "rules": "rule", "replies": "reply"}[section]


def _jsonable(entry: Entry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if hasattr(value, "isoformat") else value
    return plain({k: v for k, v in entry.items() if k != "successor"})


def _compare(current: Directory, new: Directory) -> list[Change]:
    changes = []
    for section in current.sections:
        old, fresh = current[section], new[section]
        for key, entry in fresh.items():
            before = old.get(key)
            if before is None:
                changes.append(Change(ADD, section, key, None, entry))  # a retired one too: the file's history
            elif entry["retired"] and not before["retired"]:
                changes.append(Change(RETIRE, section, key, before, entry))
            elif _without_successor(before) != _without_successor(entry):
                changes.append(Change(CHANGE, section, key, before, entry))
        for key, before in old.items():
            if key not in fresh and not before["retired"]:
                gone = dict(before, retired=True)
                fresh[key] = gone  # the new directory keeps it, retired
                changes.append(Change(RETIRE, section, key, before, gone))
    return changes


def _without_successor(entry: Entry) -> Entry:
    return {k: v for k, v in entry.items() if k != "successor"}


def _check_consequences(session: Session, plan: Plan, current: Directory, new: Directory) -> None:
    """What the live data forbids: open work left without a successor, a category no office would receive,
    staff left in a retired office."""
    problems: list[Problem] = []
    for index, change in enumerate(plan.changes):
        if change.action != RETIRE or change.section not in ("offices", "categories"):
            continue
        what = label(change.section, change.key)
        if change.section == "offices":
            office_id = session.scalar(select(Office.id).where(Office.code == change.key))
            open_work = _open_count(session, Grievance.office_id == office_id)
            staff = session.scalar(select(func.count()).select_from(StaffUser).where(
                StaffUser.office_id == office_id, StaffUser.active))
            if staff:
                problems.append(Problem(what, f"{staff} active staff accounts belong to it: move them to another "
                                              "office (redress staff set-role) or disable them first"))
        else:
            category_id = session.scalar(select(Category.id).where(Category.code == change.key))
            open_work = _open_count(session, Grievance.category_id == category_id)
        if open_work and not (change.after or {}).get("successor"):
            problems.append(Problem(what, f"{open_work} open grievances would be left with it: say where they go "
                                          "with successor = \"CODE\" (and retired = true)"))
        plan.changes[index] = Change(change.action, change.section, change.key, change.before, change.after,
                                     open_work)
    for code in new.live("categories"):
        before = [o for o, e in current.live("offices").items() if code in e["categories"]]
        after = [o for o, e in new.live("offices").items() if code in e["categories"]]
        if before and not after:
            problems.append(Problem(label("categories", code), "no office would receive it any more (it was "
                                    f"{', '.join(map(str, before))}): keep one, or retire the category too"))
    if problems:
        raise DirectoryError(problems)


def _open_count(session: Session, condition: Any) -> int:
    return session.scalar(select(func.count()).select_from(Grievance).where(
        condition, Grievance.status != Status.CLOSED)) or 0


def versions(session: Session, *, limit: int = 200) -> list[DirectoryVersion]:
    return list(session.scalars(select(DirectoryVersion).order_by(DirectoryVersion.id.desc()).limit(limit)))
