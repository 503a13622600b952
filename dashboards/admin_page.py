"""Administration pages for the directory: offices, areas, categories, SLA policies, calendars, rules and standard
replies, and the directory's versions. Administrators change; managers may look.

Every save goes through `directory.services.edit`: the live directory with this one entry changed is checked
whole and applied as a new version, exactly as a file loaded with `redress directory load` would be.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import Conflict, NotFound, PermissionDenied
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import admin_forms
from dashboards.admin_forms import SECTIONS, Section
from dashboards.pages import render, templates
from dashboards.signin import FormDep, Staff, StaffDep
from directory import export, services
from directory.format import DirectoryError, Key, label
from directory.models import DirectoryVersion
from intake.models import Role

router = APIRouter(prefix="/staff/admin", include_in_schema=False)
templates.env.globals["admin_sections"] = list(SECTIONS.values())  # the administration pages' menu
templates.env.filters["plain"] = admin_forms.plain  # an audit value as people read it
VIEW_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def may_view(staff: Staff) -> None:
    if staff.role not in VIEW_ROLES:
        raise PermissionDenied("the administration pages are for administrators (managers may look)")


def may_change(staff: Staff) -> None:
    if staff.role is not Role.ADMIN:
        raise PermissionDenied("only an administrator can change this; managers may look")


def _section(name: str) -> Section:
    if name not in SECTIONS:
        raise NotFound("no such part of the directory")
    return SECTIONS[name]


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: SessionDep, staff: StaffDep) -> Response:
    may_view(staff)
    live = export.live(session)
    counts = {name: (len(live.live(name)), len(live[name]) - len(live.live(name))) for name in SECTIONS}
    return render(request, "admin_index.html", staff, {"sections": SECTIONS.values(), "counts": counts,
                                                        "version": services.latest_version(session)})


@router.get("/versions", response_class=HTMLResponse)
def versions(request: Request, session: SessionDep, staff: StaffDep) -> Response:
    may_view(staff)
    return render(request, "admin_versions.html", staff, {"versions": services.versions(session)})


@router.get("/versions/{version_id}.toml")
def version_file(version_id: int, session: SessionDep, staff: StaffDep) -> Response:
    may_view(staff)
    found = session.get(DirectoryVersion, version_id) if 0 < version_id < 2**31 else None
    if found is None:
        raise NotFound(f"no directory version {version_id}")
    return _toml(found.document, f"directory-v{found.id}.toml")


@router.get("/directory.toml")
def live_file(session: SessionDep, staff: StaffDep) -> Response:
    """The live directory, including what changed outside a version (holidays imported from iCal)."""
    may_view(staff)
    return _toml(export.dumps(export.live(session)), "directory.toml")


def _toml(text: str, name: str) -> Response:
    return Response(text, media_type="application/toml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/{section_name}", response_class=HTMLResponse)
def listing(request: Request, section_name: str, session: SessionDep, staff: StaffDep, done: int = 0) -> Response:
    may_view(staff)
    section = _section(section_name)
    entries = export.live(session)[section.name]
    saved = session.get(DirectoryVersion, done) if 0 < done < 2**31 else None
    depth = _depths(entries) if section.name == "offices" else {}
    rows = [(admin_forms.key_param(key), [admin_forms.cell(entry.get(c)) for c in section.columns], entry["retired"],
             depth.get(key, 0)) for key, entry in entries.items()]
    headers = [next((f.label for f in section.fields if f.name == c), c) for c in section.columns]
    return render(request, "admin_list.html", staff, {"section": section, "rows": rows, "saved": saved,
                                                       "headers": headers,
                                                       "can_change": staff.role is Role.ADMIN})


@router.get("/{section_name}/new", response_class=HTMLResponse)
def new(request: Request, section_name: str, session: SessionDep, staff: StaffDep, settings: SettingsDep) -> Response:
    may_view(staff)
    section = _section(section_name)
    return _form(request, session, staff, section, key=None, entry=NEW_ENTRY | {"timezone": settings.timezone})


@router.get("/{section_name}/edit", response_class=HTMLResponse)
def edit(request: Request, section_name: str, session: SessionDep, staff: StaffDep, key: str = "") -> Response:
    may_view(staff)
    section = _section(section_name)
    found = admin_forms.key_from_param(section.name, key)
    entries = export.live(session)[section.name]
    if found is None or found not in entries:
        raise NotFound(f"no such {section.singular}")
    return _form(request, session, staff, section, key=found, entry=export.to_document_entry(entries[found]))


@router.post("/{section_name}/save", response_class=HTMLResponse)
def save(request: Request, section_name: str, session: SessionDep, staff: StaffDep, form: FormDep,
         now: NowDep) -> Response:
    may_change(staff)
    section = _section(section_name)
    raw_key = form.get("key")
    key = admin_forms.key_from_param(section.name, raw_key) if isinstance(raw_key, str) and raw_key else None
    if isinstance(raw_key, str) and raw_key and key is None:
        raise NotFound(f"no such {section.singular}")
    directory = export.live(session)  # read once: the edit compares against this same reading
    live = directory[section.name]
    base = export.to_document_entry(live[key]) if key is not None and key in live else {}
    entry = admin_forms.entry_from_form(section, form, base=base)
    if key is not None:  # what identifies an entry does not change on its page
        entry.update({f.name: base.get(f.name) for f in section.fields if f.key and f.name in base})
    version = form.get("version")
    expected = int(version) if isinstance(version, str) and version.isdigit() else 0
    what = label(section.name, key) if key is not None else f"new {section.singular}"
    changes: list[tuple[Key | None, dict[str, Any]]] = [(key, entry)]
    successor = entry.get("successor")
    if section.name == "offices" and entry.get("retired") and successor in live and form.get("handover") == "yes":
        changes.append((successor, _handed_over(export.to_document_entry(live[successor]), entry)))
    try:
        with session.begin_nested():
            plan = services.edit(session, section=section.name, changes=changes, actor=staff.username,
                                 source=f"admin page: {what}"[:200], now=now, expected_version=expected,
                                 live=directory)
    except DirectoryError as error:
        return _form(request, session, staff, section, key=key, entry=entry, problems=[str(p) for p in error.problems],
                     status=422)
    except (Conflict, NotFound) as error:
        return _form(request, session, staff, section, key=key, entry=entry, problems=[error.message],
                     status=error.status)
    return RedirectResponse(f"/staff/admin/{section.name}?done={plan.version or 0}", status_code=303)


def _handed_over(successor: dict[str, Any], retired: dict[str, Any]) -> dict[str, Any]:
    """The successor office taking over a retired office's kinds of complaint and areas, in the same change (one
    at a time, the first would leave a category without an office, or one area with two)."""
    merged = dict(successor)
    for field in ("categories", "jurisdiction"):
        merged[field] = list(dict.fromkeys([*successor.get(field, []), *retired.get(field, [])]))
    return merged


def _depths(offices: dict[Key, Any]) -> dict[Key, int]:
    """How deep each office sits in the tree, so the list (already parents first) reads as the tree."""
    depths: dict[Key, int] = {}
    for code, entry in offices.items():
        parent = entry["parent"]
        depths[code] = depths.get(parent, -1) + 1 if parent is not None else 0
    return depths


def _title(section: Section, key: Key | None, entry: dict[str, Any]) -> str:
    """"Office RV-N — Northbank District Administration Office", or "New office"."""
    if key is None:
        return f"New {section.singular}"
    named = label(section.name, key)
    name = entry.get("name") if section.name != "rules" else None
    return named[:1].upper() + named[1:] + (f" — {name}" if name else "")


NEW_ENTRY = {"level": "office", "response_hours": 72, "resolution_hours": 720, "basis": "business",
             "warn_fraction": 0.2, "priority": 100, "language": "en",
             "week": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}}  # what a new form shows


def _form(request: Request, session: Any, staff: Staff, section: Section, *, key: Key | None, entry: dict[str, Any],
          problems: list[str] | None = None, status: int = 200) -> Response:
    live = export.live(session)
    offices = [(code, f"{code} — {e['name']}") for code, e in live.live("offices").items()]
    categories = [(code, f"{code} — {e['name']}") for code, e in live.live("categories").items()]
    choices = {f.choices: admin_forms.choices(f.choices, offices=offices, categories=categories)
               for f in section.fields if f.choices}
    successors = offices if section.successor == "offices" else categories if section.successor else []
    version = services.latest_version(session) or 0
    return render(request, "admin_form.html", staff, {
        "section": section, "key": admin_forms.key_param(key) if key is not None else "",
        "title": _title(section, key, entry),
        "values": admin_forms.form_values(section, entry), "retired": bool(entry.get("retired")),
        "successor": entry.get("successor", ""), "successors": successors, "choices": choices,
        "languages": admin_forms.other_languages(), "days": admin_forms.DAYS, "version": version,
        "problems": problems or [], "can_change": staff.role is Role.ADMIN,
        "questions": len(entry.get("questions") or []), "back": f"/staff/admin/{quote(section.name)}"},
        status=status)

