"""`redress`: the command line of the service. `redress --help` and `redress COMMAND --help` document it."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from app import cli_directory, cli_models, cli_staff, cli_surveys, cli_telegram
from core.clock import parse_instant, utcnow
from core.errors import DomainError
from core.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every run of every job
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"redress: settings are not valid:\n{exc}", file=sys.stderr)
        return 2
    try:
        return int(args.handler(settings, args) or 0)
    except DomainError as exc:
        print(f"redress: {exc.message}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redress", description="OpenRedress grievance redress service. "
                                     "Settings come from REDRESS_* environment variables or .env (see README).")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create or migrate the database and print the next steps; with --demo, "
                               "load the demo province instead")
    init.add_argument("--demo", action="store_true",
                      help="load the demo province, print its staff logins and a fresh demo API key")
    init.set_defaults(handler=_init)

    serve = commands.add_parser("serve", help="serve the web app and API, with the scheduler and delivery in-process")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1,
                       help="web worker processes (default 1); with more, run `redress worker` for the jobs")
    serve.add_argument("--no-scheduler", action="store_true", help="do not run jobs in this process")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run the scheduler and outbound delivery without the web server")
    worker.set_defaults(handler=_worker)

    apikey = commands.add_parser("apikey", help="manage API keys").add_subparsers(required=True, metavar="ACTION")
    create = apikey.add_parser("create", help="create a key and print it alone on the last line")
    create.add_argument("--name", required=True, help="who or what uses the key")
    create.add_argument("--office", default=None, help="office code the key is tied to (default: the root office)")
    create.add_argument("--role", default="admin",
                        choices=["officer", "office_head", "operator", "oversight", "manager", "admin"],
                        help="role of the key (default admin)")
    create.add_argument("--owner", default=None,
                        help="username of the staff account that owns the key: it stops while that account is disabled")
    create.set_defaults(handler=_apikey_create)
    cli_staff.add_apikey_commands(apikey)

    jobs = commands.add_parser("jobs", help="list or run periodic jobs").add_subparsers(required=True, metavar="ACTION")
    jobs.add_parser("list", help="list the periodic jobs").set_defaults(handler=_jobs_list)
    run = jobs.add_parser("run", help="run one job once")
    run.add_argument("name", help="job name, from `redress jobs list`")
    run.add_argument("--now", default=None, help="ISO-8601 time to run as (default: the real clock)")
    run.set_defaults(handler=_jobs_run)

    calendar = commands.add_parser("calendar", help="office calendars").add_subparsers(required=True,
                                                                                      metavar="ACTION")
    ical = calendar.add_parser("import-ical", help="add the all-day events of an iCalendar file as holidays")
    ical.add_argument("code", help="calendar code from the directory, e.g. NP-GOV")
    ical.add_argument("file", type=Path, help="an .ics file")
    ical.set_defaults(handler=_calendar_import)

    pack = commands.add_parser("meeting-pack", help="write the weekly complaint meeting's pack as one HTML, JSON or "
                               "PDF file")
    pack.add_argument("--week", default=None, help="ISO week, e.g. 2026-W47 (default: the last complete week, in the "
                      "office's timezone)")
    pack.add_argument("--office", default="", help="office code (default: the top of the tree); its subtree")
    pack.add_argument("--format", choices=["html", "json", "pdf"], default=None, dest="format",
                      help="what to write (default: the --out file's extension, .json or .pdf, else html)")
    pack.add_argument("--out", type=Path, required=True, help="the file to write")
    pack.set_defaults(handler=_meeting_pack)

    cli_models.add_commands(commands)
    cli_telegram.add_commands(commands)
    cli_surveys.add_commands(commands)
    cli_directory.add_commands(commands)
    cli_staff.add_commands(commands)

    db = commands.add_parser("db", help="database migrations").add_subparsers(required=True, metavar="ACTION")
    up = db.add_parser("upgrade", help="migrate up (default to head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=_db_upgrade)
    down = db.add_parser("downgrade", help="migrate down to REVISION (e.g. -1 or base)")
    down.add_argument("revision")
    down.set_defaults(handler=_db_downgrade)
    db.add_parser("current", help="print the database's revision and the head").set_defaults(handler=_db_current)
    return parser


def _engine(settings: Settings):  # noqa: ANN202
    from core.db import make_engine

    return make_engine(settings.database_url)


def _init(settings: Settings, args: argparse.Namespace) -> int:
    from app import migrate
    from app.demo import DEMO_PASSWORD, load_demo
    from app.routing_model import ensure_model
    from core.db import make_sessionmaker, transaction

    engine = _engine(settings)
    migrate.upgrade(engine)
    print(f"database at revision {migrate.current(engine)}")
    if not args.demo:
        version = ensure_model(make_sessionmaker(engine), settings=settings, now=utcnow())
        if version:
            print(f"routing model {version} trained from the seed corpus and activated (retrain it from your own "
                  "complaints later: docs/classifier.md)")
        _next_steps(make_sessionmaker(engine))
        return 0
    with transaction(make_sessionmaker(engine)) as session:
        demo = load_demo(session, now=utcnow())
    print("demo directory " + ("loaded" if demo.loaded_now else "already loaded; kept as it is"))
    print(f"demo staff logins, by office (password for all: {DEMO_PASSWORD}):")
    for office, logins in itertools.groupby(demo.logins, key=lambda row: row[0]):
        print(f"  {office:<14} " + ", ".join(f"{username} ({role})" for _, username, role in logins))
    version = ensure_model(make_sessionmaker(engine), settings=settings, now=utcnow())
    if version:
        print(f"routing model {version} trained from the seed corpus and activated")
    if demo.loaded_now:
        from app.demo import seed_grievances, seed_history
        from routing.registry import Classifiers

        with transaction(make_sessionmaker(engine)) as session:
            model = Classifiers().active(session)
            filed = seed_grievances(session, now=utcnow(), model=model)
            settled = seed_history(session, now=utcnow(), model=model)
        print(f"{filed} demo grievances filed over the last week (some answered, some past their deadline)")
        print(f"{settled} settled ones of the ten weeks before, for the figures (http://127.0.0.1:8000/public)")
    print(f"demo API key (role admin; use as 'Authorization: Bearer <key>'):\n{demo.api_key}")
    return 0


def _next_steps(factory) -> None:  # noqa: ANN001
    """What a new agency does next, skipping what is already done (docs/setup.md has the whole way)."""
    from sqlalchemy import func, select

    from intake.models import Office, Role, StaffUser

    with factory() as session:
        offices = session.scalar(select(func.count()).select_from(Office).where(Office.active))
        admins = session.scalar(select(func.count()).select_from(StaffUser).where(StaffUser.active,
                                                                                StaffUser.role == Role.ADMIN))
    steps = []
    if not offices:
        steps.append("load your directory (start from docs/examples/directory.toml):\n"
                     "       redress directory load directory.toml --dry-run   # check it, change nothing\n"
                     "       redress directory load directory.toml")
    if not admins:
        steps.append("create the first administrator (prints a one-time link that sets the password):\n"
                     "       redress staff create --username admin --name \"Your Name\" --office CODE --role admin")
    steps.append("serve:  redress serve --host 0.0.0.0 --port 8000   (then sign in at /staff)")
    print("next steps (docs/setup.md):")
    for number, step in enumerate(steps, start=1):
        print(f"  {number}. {step}")


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from app import migrate

    engine = _engine(settings)
    if migrate.current(engine) != migrate.head(engine):
        print("redress: the database is not at the latest migration; run `redress init` first", file=sys.stderr)
        return 1
    engine.dispose()
    if args.workers > 1:
        uvicorn.run("app.asgi:app", host=args.host, port=args.port, workers=args.workers, log_level="info")
        return 0
    from app.main import create_app

    app = create_app(settings, background=not args.no_scheduler)
    print(f"OpenRedress on http://{args.host}:{args.port}  (API docs: /docs)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _worker(settings: Settings, _args: argparse.Namespace) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from app import jobs
    from core.db import make_sessionmaker

    scheduler = BlockingScheduler(timezone="UTC")
    registry = jobs.registry(settings, make_sessionmaker(_engine(settings)))
    loop = jobs.schedule(scheduler, registry, utcnow)
    loop.start()
    print(f"worker running jobs: {', '.join(registry)} (Ctrl-C stops)")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    loop.stop()
    return 0


def _apikey_create(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from core.db import make_sessionmaker, transaction
    from intake.accounts import create_api_key
    from intake.models import Office, Role
    from intake.queries import office_by_code
    from intake.staff import by_username

    with transaction(make_sessionmaker(_engine(settings))) as session:
        owner = by_username(session, args.owner) if args.owner else None
        if args.office:
            office = office_by_code(session, args.office)
            if office is None:
                print(f"redress: unknown office {args.office!r}", file=sys.stderr)
                return 1
        else:
            office = session.scalar(select(Office).where(Office.parent_id.is_(None)).order_by(Office.id))
            if office is None:
                print("redress: no offices yet; run `redress init --demo` or load a directory", file=sys.stderr)
                return 1
        issued = create_api_key(session, name=args.name, role=Role(args.role), office=office, now=utcnow(),
                                owner=owner, actor=cli_staff.actor())
    owned = f", owner {owner.username}" if owner else ""
    print(f"API key {args.name!r}: role {args.role}, office {office.code}{owned}. It is shown once:")
    print(issued.secret)
    return 0


def _calendar_import(settings: Settings, args: argparse.Namespace) -> int:
    from app.cli_staff import actor
    from core.db import make_sessionmaker, transaction
    from directory.services import import_holidays
    from escalation.ical import holidays_from_ical

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"redress: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    holidays = holidays_from_ical(data)
    with transaction(make_sessionmaker(_engine(settings))) as session:
        added = import_holidays(session, calendar_code=args.code, holidays=holidays, source=f"iCal {args.file.name}",
                                actor=actor(), now=utcnow())
    print(f"{len(holidays)} holiday days read, {added} new, in calendar {args.code.upper()}")
    return 0


def _meeting_pack(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import make_sessionmaker
    from dashboards.meeting_files import format_for, pack_file

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # it warns of every CSS rule it does not print
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    fmt = format_for(args.out, args.format)
    with make_sessionmaker(_engine(settings))() as session:
        built, data = pack_file(session, office_code=args.office, week=args.week, now=utcnow(), fmt=fmt,
                                min_count=settings.kpi_min_count)
    try:
        args.out.write_bytes(data)
    except OSError as exc:
        print(f"redress: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"meeting pack for {built.week}, {built.office.code}, written to {args.out} ({fmt})")
    return 0


def _jobs_list(settings: Settings, _args: argparse.Namespace) -> int:
    from app import jobs
    from core.db import make_sessionmaker

    for job in jobs.registry(settings, make_sessionmaker(_engine(settings))).values():
        print(f"{job.name:<16} every {job.interval_seconds:g}s  {job.description}")
    return 0


def _jobs_run(settings: Settings, args: argparse.Namespace) -> int:
    from app import jobs
    from core.db import make_sessionmaker

    registry = jobs.registry(settings, make_sessionmaker(_engine(settings)))
    if args.name not in registry:
        print(f"redress: no job {args.name!r}; `redress jobs list` names them", file=sys.stderr)
        return 1
    try:
        now = parse_instant(args.now) if args.now else utcnow()
    except ValueError:
        print(f"redress: --now {args.now!r} is not an ISO-8601 time such as 2026-11-23T09:00:00Z", file=sys.stderr)
        return 2
    done = registry[args.name].run(now)
    print(f"{args.name} at {now.isoformat()}: {done} done")
    return 0


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from app import migrate

    engine = _engine(settings)
    migrate.upgrade(engine, args.revision)
    print(f"database at revision {migrate.current(engine)}")
    return 0


def _db_downgrade(settings: Settings, args: argparse.Namespace) -> int:
    from app import migrate

    engine = _engine(settings)
    migrate.downgrade(engine, args.revision)
    print(f"database at revision {migrate.current(engine)}")
    return 0


def _db_current(settings: Settings, _args: argparse.Namespace) -> int:
    from app import migrate

    engine = _engine(settings)
    print(f"current: {migrate.current(engine)}\nhead:    {migrate.head(engine)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
