"""`redress directory load FILE.toml [--dry-run]` and `redress directory export --out FILE.toml`: the agency's
directory as a file it owns (docs/directory.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.clock import utcnow
from core.settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    directory = commands.add_parser("directory", help="load, check or export the directory (offices, areas, "
                                    "categories, SLAs, calendars, rules, replies)").add_subparsers(
                                        required=True, metavar="ACTION")
    load = directory.add_parser("load", help="check a directory file and apply it as a new version; entries left "
                                "out are retired")
    load.add_argument("file", type=Path, help="a UTF-8 TOML file in the format of docs/directory.md")
    load.add_argument("--dry-run", action="store_true", help="check and print what would change; change nothing")
    load.set_defaults(handler=_load)
    export = directory.add_parser("export", help="write the live directory as a file that loads back unchanged")
    export.add_argument("--out", type=Path, required=True, help="the TOML file to write")
    export.set_defaults(handler=_export)


def _load(settings: Settings, args: argparse.Namespace) -> int:
    from app.cli_staff import actor
    from core.db import make_engine, make_sessionmaker, transaction
    from directory.services import load_file

    with transaction(make_sessionmaker(make_engine(settings.database_url))) as session:
        plan = load_file(session, path=args.file, actor=actor(), now=utcnow(), dry_run=args.dry_run)
        if args.dry_run:
            session.rollback()
    for line in plan.lines():
        print(line)
    for note in plan.notes:
        print(f"note: {note}")
    if not plan.changes:
        print("nothing to change: the directory already matches the file")
    elif args.dry_run:
        print(f"dry run: {plan.summary()}; nothing was changed")
    else:
        print(f"directory version {plan.version}: {plan.summary()}")
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import make_engine, make_sessionmaker
    from directory import export

    with make_sessionmaker(make_engine(settings.database_url))() as session:
        text = export.dumps(export.live(session))
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"redress: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"directory written to {args.out}")
    return 0
