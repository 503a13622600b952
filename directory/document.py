"""The directory file: read, checked as a whole and brought to one normal form.

`parse` turns a document (the TOML file's tables) into a `Directory`: every section keyed by what identifies
an entry, each entry with its defaults filled in, exactly as `directory.export` writes it back. So comparing
the file with the live directory is comparing two dictionaries, and export → load changes nothing.
Every problem is collected, with the line of the entry where the file has one, so one run lists them all.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter, defaultdict
from typing import Any

from core.i18n import SOURCE_LANGUAGE, shipped
from directory.entries import Checker
from directory.format import SECTIONS, Directory, DirectoryError, Entry, Key, Problem, key_of, label

MAX_FILE_BYTES = 5 * 1024 * 1024


def read(text: str) -> dict[str, Any]:
    """The TOML document, or a DirectoryError naming the line TOML stopped at."""
    if len(text) > MAX_FILE_BYTES:
        raise DirectoryError([Problem("file", f"larger than {MAX_FILE_BYTES // 1024 // 1024} MB")])
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError([Problem("file", f"not valid TOML: {exc}")]) from exc


HEADER = re.compile(r"[ \t]*\[\[[ \t]*([\w.-]+)[ \t]*\]\]")


def header_lines(text: str) -> dict[str, list[int]]:
    """The line of each `[[section]]` header, by section, in order: entry i of a section starts on the i-th."""
    lines: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = HEADER.match(line)
        if found:
            lines.setdefault(found.group(1), []).append(number)
    return lines


def parse(document: dict[str, Any], *, text: str | None = None) -> Directory:
    """The document in normal form, or a DirectoryError listing every problem (with lines when `text` is given)."""
    checker = _Checker(text)
    unknown = sorted(set(document) - set(SECTIONS) - {"staff"})
    if unknown:
        checker.problem("file", f"unknown sections {unknown}; a directory has {', '.join(SECTIONS)}")
    if "staff" in document:
        checker.problem("staff", "staff accounts are not part of the directory: create them with "
                                 "`redress staff create` or on the admin pages")
    directory = Directory()
    headers = header_lines(text) if text is not None else {}
    for section in SECTIONS:
        rows = document.get(section, [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            checker.problem(section, f"must be a list of tables: write each entry as [[{section}]]")
            continue
        lines = headers.get(section, [])
        if len(lines) != len(rows):
            lines = []  # written as an inline array: no line per entry
        for index, row in enumerate(rows):
            checker.at(f"line {lines[index]}" if lines else f"{section}[{index + 1}]")
            entry = checker.entry(section, row)
            key = key_of(section, entry)
            if key in directory[section]:
                checker.problem(checker.where, f"duplicate: {label(section, key)} is already listed")
                continue
            directory[section][key] = entry  # even with problems: the checks across entries still see it
            checker.located[(section, key)] = checker.where
    checker.across(directory)
    if checker.problems:
        raise DirectoryError(checker.problems)
    return directory


class _Checker(Checker):
    """Each entry's checks, and the checks across entries."""

    # -- across entries --------------------------------------------------------------------------------

    def of(self, section: str, key: Key) -> str:
        return self.located.get((section, key), label(section, key))

    def across(self, d: Directory) -> None:
        """What no single entry can show: references, the tree, overlapping offices, successors."""
        categories, offices = d["categories"], d["offices"]
        live_categories = {code for code, c in categories.items() if not c["retired"]}
        for code, office in offices.items():
            where = self.of("offices", code)
            unknown = [c for c in office["categories"] if c not in categories]
            if unknown:
                self.problem(where, f"unknown categories {unknown}")
            office["categories"] = [c for c in office["categories"] if c in live_categories or office["retired"]]
            parent = office["parent"]
            if parent is not None and parent not in offices:
                self.problem(where, f"unknown parent {parent!r}")
            elif parent is not None and offices[parent]["retired"] and not office["retired"]:
                self.problem(where, f"its parent {parent} is retired: give it another parent, or retire it too")
            self._successor_of("offices", code, office, offices)
        for code, category in categories.items():
            self._successor_of("categories", code, category, categories)
        self._cycles(offices)
        self._overlaps(d)
        linked: dict[str, str] = {}
        for code, calendar in d["calendars"].items():
            for office in calendar["offices"]:
                if office not in offices:
                    self.problem(self.of("calendars", code), f"unknown office {office!r}")
                elif office in linked and not calendar["retired"]:
                    self.problem(self.of("calendars", code), f"office {office} already works by calendar "
                                                           f"{linked[office]}")
                elif not calendar["retired"]:
                    linked[office] = code
        for key, sla in d["sla"].items():
            self._known(self.of("sla", key), sla, categories, offices)
        for key, rule in d["rules"].items():
            self._known(self.of("rules", key), rule, categories, offices)
        for key, reply in d["replies"].items():
            self._known(self.of("replies", key), reply, categories, {})

    def _known(self, where: str, entry: Entry, categories: dict[Key, Entry], offices: dict[Key, Entry]) -> None:
        if entry.get("category") is not None and entry["category"] not in categories:
            self.problem(where, f"unknown category {entry['category']!r}")
        if entry.get("office") is not None and entry["office"] not in offices:
            self.problem(where, f"unknown office {entry['office']!r}")

    def _successor_of(self, section: str, code: Key, entry: Entry, entries: dict[Key, Entry]) -> None:
        successor = entry.get("successor")
        if successor is None:
            return
        target = entries.get(successor)
        if target is None or target["retired"] or successor == code:
            self.problem(self.of(section, code), f"successor {successor!r} must be another {label(section, '')[:-1]} "
                                               "in this file that is not retired")

    def _cycles(self, offices: dict[Key, Entry]) -> None:
        reported: set[Key] = set()
        for start in offices:
            seen: list[Key] = []
            code: Key | None = start
            while code is not None and code in offices and code not in seen:
                seen.append(code)
                code = offices[code]["parent"]
            if code is not None and code in seen and code not in reported:
                loop = seen[seen.index(code):]
                reported.update(loop)
                self.problem(self.of("offices", code), "the office tree has a cycle: "
                                                     + " → ".join(map(str, [*loop, code])))

    def _overlaps(self, d: Directory) -> None:
        """Two live offices handling one category for the same area code: routing could not choose."""
        covering: dict[tuple[str, str], list[str]] = defaultdict(list)
        for code, office in d.live("offices").items():
            for category in office["categories"]:
                for area in office["jurisdiction"]:
                    covering[(category, area)].append(str(code))
        for (category, area), codes in sorted(covering.items()):
            if len(codes) > 1:
                self.problem(f"area {area}", f"covered by {len(codes)} offices for {category}: {', '.join(codes)}; "
                                             "give each its own areas, or one of them the category")


def missing_translations(d: Directory) -> Counter[str]:
    """How many live offices, categories and areas have no name in each other shipped language."""
    missing: Counter[str] = Counter()
    for section in ("offices", "categories", "areas"):
        for entry in d.live(section).values():
            for language in set(shipped()) - {SOURCE_LANGUAGE} - set(entry["translations"]):
                missing[language] += 1
    return missing
