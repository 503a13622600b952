"""The directory at national scale: a country's offices, areas and rules loaded, loaded again, exported, and one
office edited the way an admin page does it.

For each database (SQLite; PostgreSQL with --pg or REDRESS_TEST_DATABASE_URL) this migrates a fresh database and
times, on a generated directory of N offices (a ministry, 7 provinces, districts, and local offices of 12 kinds
each with its own area) with as many areas, 14 categories, a calendar, SLAs, rules and replies:

- `load`: the first `redress directory load` (check, compare, write, store the version);
- `reload`: loading the same file again (nothing changes: check and compare only);
- `export`: `redress directory export` (read and write the file);
- `edit`: one office renamed through `directory.services.edit`, as an admin page saves it (whole check, one
  change applied, a new version stored).

Each timing is the median of --repeat runs (the load once per database: a first load happens once).

    .venv/bin/python bench/directory.py [--offices 7500] [--repeat 5] [--pg URL] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tomli_w  # noqa: E402

from app import migrate, schema  # noqa: E402, F401 - schema: every table mapped
from core.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from directory import export, services  # noqa: E402
from tests.databases import throwaway_database  # noqa: E402

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
KINDS = ["water", "power", "roads", "waste", "health", "schools", "welfare", "registry", "land", "transport",
         "police", "other"]


def directory_text(offices: int) -> str:
    """A national directory: 7 provinces, 77 districts, then local offices of each kind, each with its own area."""
    categories = [{"code": kind, "name": kind.title(), "translations": {"ne": f"{kind} (ne)"}} for kind in KINDS]
    categories += [{"code": "corruption", "name": "Corruption", "integrity": True},
                   {"code": "conduct", "name": "Staff conduct", "integrity": True}]
    rows = [{"code": "NP", "name": "Ministry", "level": "ministry", "jurisdiction": ["NP"],
             "timezone": "Asia/Kathmandu"},
            {"code": "NP-OIU", "name": "Integrity Unit", "parent": "NP", "jurisdiction": ["NP"], "oversight": True,
             "integrity_unit": True, "categories": ["corruption", "conduct"], "timezone": "Asia/Kathmandu"}]
    areas = [{"code": "NP", "names": ["Nepal"]}]
    provinces = [f"NP-P{p}" for p in range(1, 8)]
    districts = [f"{p}-D{d:02d}" for p in provinces for d in range(1, 12)]
    for code in provinces + districts:
        rows.append({"code": code, "name": f"Administration {code}", "level": "province" if code.count("-") == 1
                     else "district", "parent": code.rsplit("-", 1)[0] if code.count("-") > 1 else "NP",
                     "jurisdiction": [code], "timezone": "Asia/Kathmandu"})
        areas.append({"code": code, "names": [f"Place {code}"], "translations": {"ne": f"ठाउँ {code}"}})
    n = 0
    while len(rows) < offices:
        district = districts[n % len(districts)]
        local = f"{district}-L{n // len(districts):03d}"
        areas.append({"code": local, "names": [f"Town {local}", f"Ward {local}"]})
        for kind in KINDS:
            if len(rows) >= offices:
                break
            rows.append({"code": f"{local}-{kind.upper()}", "name": f"{kind.title()} office {local}",
                         "parent": district, "jurisdiction": [local], "timezone": "Asia/Kathmandu",
                         "categories": [kind]})
        n += 1
    document = {
        "categories": categories, "offices": rows, "areas": areas,
        "calendars": [{"code": "GOV", "name": "Government", "timezone": "Asia/Kathmandu",
                       "week": {d: ["10:00-17:00"] for d in ("sun", "mon", "tue", "wed", "thu", "fri")},
                       "holidays": [{"day": datetime(2027, 1, d).date(), "name": "holiday"} for d in range(1, 20)],
                       "offices": ["NP"]}],
        "sla": [{"first_response_hours": 16, "resolution_hours": 80, "escalation_hours": 16}]
               + [{"category": kind, "first_response_hours": 8, "resolution_hours": 40, "escalation_hours": 8}
                  for kind in KINDS],
        "rules": [{"name": f"rule {i}", "pattern": f"word{i}|other{i}", "category": KINDS[i % len(KINDS)]}
                  for i in range(50)],
        "replies": [{"language": lang, "title": f"Reply {i}", "text": "{office} is on it."}
                    for lang in ("en", "ne") for i in range(10)],
    }
    return tomli_w.dumps(document)


def timed(action) -> float:  # noqa: ANN001
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bench(url: str, *, offices: int, repeat: int) -> dict[str, float]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    text = directory_text(offices)
    figures: dict[str, float] = {}
    try:
        def load() -> None:
            with transaction(factory) as session:
                plan = services.load_text(session, text=text, source="bench", actor="bench", now=NOW)
                assert plan.changes or figures, "the first load adds the whole directory"

        figures["load"] = timed(load)

        def reload() -> None:
            with transaction(factory) as session:
                assert services.load_text(session, text=text, source="bench", actor="bench", now=NOW).changes == []

        figures["reload"] = statistics.median(timed(reload) for _ in range(repeat))

        def dump() -> None:
            with factory() as session:
                export.dumps(export.live(session))

        figures["export"] = statistics.median(timed(dump) for _ in range(repeat))
        names = iter(range(repeat))

        def edit() -> None:
            with transaction(factory) as session:
                live = export.live(session)
                code = next(iter(live.live("offices")))
                entry = export.to_document_entry(live["offices"][code]) | {"name": f"Renamed {next(names)}"}
                plan = services.edit(session, section="offices", changes=[(code, entry)], source="bench",
                                     actor="bench", now=NOW, expected_version=services.latest_version(session))
                assert len(plan.changes) == 1

        figures["edit"] = statistics.median(timed(edit) for _ in range(repeat))
    finally:
        engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=7500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get("REDRESS_TEST_DATABASE_URL"))
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"directory of {args.offices:,} offices; medians of {args.repeat} runs (load: once)")
    for kind in args.databases.split(","):
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                figures = bench(f"sqlite:///{folder}/bench.db", offices=args.offices, repeat=args.repeat)
        elif kind == "postgresql" and args.pg:
            url, drop = throwaway_database(args.pg)
            try:
                figures = bench(url, offices=args.offices, repeat=args.repeat)
            finally:
                drop()
        else:
            print(f"{kind}: skipped (no --pg URL)")
            continue
        print(f"{kind:<11} " + "  ".join(f"{name} {seconds:6.2f} s" for name, seconds in figures.items()))


if __name__ == "__main__":
    main()
