"""The directory's vocabulary: its sections, what identifies an entry, how a person names one, and the problems
a check finds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.errors import InvalidInput

SECTIONS = ("categories", "offices", "areas", "calendars", "sla", "rules", "replies")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

ADD, CHANGE, RETIRE = "add", "change", "retire"  # what a load or an edit does to an entry

Entry = dict[str, Any]
Key = str | tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    where: str  # "offices[3] RV-X" or "line 42, offices[3] RV-X"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class DirectoryError(InvalidInput):
    """The file as a whole is refused; `problems` lists every one found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"the directory was not changed: {count}\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass
class Directory:
    """Each section's entries by key, in normal form."""

    sections: dict[str, dict[Key, Entry]] = field(default_factory=lambda: {name: {} for name in SECTIONS})

    def __getitem__(self, section: str) -> dict[Key, Entry]:
        return self.sections[section]

    def live(self, section: str) -> dict[Key, Entry]:
        return {key: entry for key, entry in self.sections[section].items() if not entry["retired"]}


def key_of(section: str, entry: Entry) -> Key:
    """What identifies an entry of the section: its code, a rule's name, an SLA's (category, office)."""
    if section == "sla":
        return (entry.get("category") or "", entry.get("office") or "")
    if section == "rules":
        return entry["name"]
    if section == "replies":
        return (entry.get("category") or "", entry["language"], entry["title"])
    return entry["code"]


def label(section: str, key: Key) -> str:
    """How a person names an entry: "office RV-N", "sla water/*", "reply 'Crew sent' (electricity, en)"."""
    singular = {"categories": "category", "offices": "office", "areas": "area", "calendars": "calendar",
                "sla": "sla", "rules": "rule", "replies": "reply"}[section]
    if section == "sla":
        return f"sla {key[0] or '*'}/{key[1] or '*'}"
    if section == "replies":
        return f"reply {key[2]!r} ({key[0] or 'any category'}, {key[1]})"
    return f"{singular} {key}"
