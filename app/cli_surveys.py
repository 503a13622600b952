"""`redress import deliveries FILE.csv`: services delivered, for the post-service surveys."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.clock import utcnow
from core.settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    importing = commands.add_parser("import", help="import data from files").add_subparsers(required=True,
                                                                                          metavar="WHAT")
    deliveries = importing.add_parser("deliveries", help="import services delivered (CSV: phone, office, service, "
                                      "delivered_at, reference); any bad row imports nothing")
    deliveries.add_argument("file", type=Path, help="a UTF-8 CSV file with a header line")
    deliveries.set_defaults(handler=_deliveries)


def _deliveries(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import make_engine, make_sessionmaker, transaction
    from surveys import deliveries

    def progress(count: int) -> None:
        print(f"  {count:,} rows checked", file=sys.stderr, flush=True)

    factory = make_sessionmaker(make_engine(settings.database_url))
    try:
        with transaction(factory) as session:
            context = deliveries.Context.load(session, region=settings.default_region, timezone=settings.timezone,
                                              now=utcnow())
            report = deliveries.store(session, deliveries.csv_rows(args.file), context=context, source="csv",
                                      progress=progress)
    except deliveries.BadDeliveries as bad:
        print(f"redress: {args.file.name}: {len(bad.problems)} problem(s); nothing was imported:", file=sys.stderr)
        for problem in bad.problems[:200]:
            print(f"  {problem}", file=sys.stderr)
        if len(bad.problems) > 200:
            print(f"  … and {len(bad.problems) - 200} more", file=sys.stderr)
        return 1
    print(f"imported {report.created:,} deliveries; {len(report.duplicates):,} were already known")
    return 0
