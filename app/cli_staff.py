"""`redress staff ...` (accounts, one-time links) and `redress apikey list|revoke`: run your own organisation."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import timedelta

from core.clock import utcnow
from core.errors import InvalidInput
from core.settings import Settings

ROLES = ["officer", "office_head", "operator", "oversight", "manager", "admin"]


def add_commands(commands: argparse._SubParsersAction) -> None:
    staff = commands.add_parser("staff", help="staff accounts: create, list, disable, enable, reset a password, "
                                "change role").add_subparsers(required=True, metavar="ACTION")
    create = staff.add_parser("create", help="create an account and print a one-time link that sets its password")
    create.add_argument("--username", required=True, help="2-64 characters of a-z, 0-9, '.', '_', '-' (any case)")
    create.add_argument("--name", required=True, help="the person's name as staff pages show it")
    create.add_argument("--office", required=True, help="code of the person's office")
    create.add_argument("--role", required=True, choices=ROLES, help="what the person may see and do")
    create.add_argument("--email", default=None, help="contact email (optional)")
    create.add_argument("--phone", default=None, help="contact phone (optional; local or international form)")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input and set it (for scripts); no link is printed")
    create.set_defaults(handler=_create)

    listing = staff.add_parser("list", help="list accounts, disabled ones too")
    listing.add_argument("--office", default=None, help="only this office's accounts")
    listing.set_defaults(handler=_list)

    for name, handler, words in (("disable", _disable, "disable a leaver's account: its sessions and API keys stop "
                                  "at once"),
                                 ("enable", _enable, "enable a disabled account again"),
                                 ("reset-password", _reset, "forget the password at once and print a new one-time "
                                  "link")):
        command = staff.add_parser(name, help=words)
        command.add_argument("username")
        command.set_defaults(handler=handler)

    role = staff.add_parser("set-role", help="change an account's role, and its office with --office")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    role.add_argument("--office", default=None, help="move the account to this office too")
    role.set_defaults(handler=_set_role)


def add_apikey_commands(apikey: argparse._SubParsersAction) -> None:
    """`redress apikey list` and `redress apikey revoke ID`, next to `create` in app.cli."""
    apikey.add_parser("list", help="list API keys, revoked ones too (never the keys themselves)") \
        .set_defaults(handler=_apikey_list)
    revoke = apikey.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("id", type=int, help="the key's id, from `redress apikey list`")
    revoke.set_defaults(handler=_apikey_revoke)


def actor() -> str:
    """Who acts from the command line, for the audit: the system user running it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli:unknown"


def _factory(settings: Settings):  # noqa: ANN202
    from core.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(settings.database_url))


def _create(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import transaction
    from intake import staff
    from intake.models import Role

    password = None
    if args.password_stdin:
        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
        if not password:
            raise InvalidInput("--password-stdin read no password from standard input")
    hours, now, who = settings.staff_link_hours, utcnow(), actor()
    with transaction(_factory(settings)) as session:
        user = staff.create_staff(session, username=args.username, display_name=args.name, role=Role(args.role),
                                  office_code=args.office, email=args.email, phone=args.phone,
                                  region=settings.default_region, actor=who, now=now)
        if password is not None:
            staff.set_password(session, username=user.username, password=password, actor=who, now=now)
            token = None
        else:
            token = staff.issue_link(session, user=user, now=now, valid_for=timedelta(hours=hours))
        summary = f"staff {user.username} created: {user.display_name}, {user.role.value} at {user.office.code}"
    if token is None:
        print(f"{summary}; password set")
        return 0
    print(f"{summary}. Send them this one-time link; it sets their password and works for {hours:g} hours:")
    from dashboards.signin import welcome_url

    print(welcome_url(settings, token))
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from intake.queries import staff_accounts

    with _factory(settings)() as session:
        rows = [(u.username, u.display_name, u.role.value, u.office.code, "active" if u.active else "disabled")
                for u in staff_accounts(session, office_code=args.office)]
    _table(("username", "name", "role", "office", "status"), rows)
    return 0


def _disable(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import transaction
    from intake import staff

    with transaction(_factory(settings)) as session:
        changed = staff.disable_staff(session, username=args.username, actor=actor(), now=utcnow())
        name = staff.by_username(session, args.username).username
    print(f"staff {name} disabled: signed out everywhere; their API keys stop" if changed else
          f"staff {name} was already disabled")
    return 0


def _enable(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import transaction
    from intake import staff

    with transaction(_factory(settings)) as session:
        changed = staff.enable_staff(session, username=args.username, actor=actor(), now=utcnow())
        name = staff.by_username(session, args.username).username
    print(f"staff {name} enabled" if changed else f"staff {name} was already active")
    return 0


def _reset(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import transaction
    from intake import staff

    hours = settings.staff_link_hours
    with transaction(_factory(settings)) as session:
        token = staff.reset_password(session, username=args.username, actor=actor(), now=utcnow(),
                                     valid_for=timedelta(hours=hours))
        name = staff.by_username(session, args.username).username
    print(f"staff {name}: the old password no longer works and their sessions ended. Send them this one-time "
          f"link; it sets a new password and works for {hours:g} hours:")
    from dashboards.signin import welcome_url

    print(welcome_url(settings, token))
    return 0


def _set_role(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import transaction
    from intake import staff
    from intake.models import Role

    with transaction(_factory(settings)) as session:
        changed = staff.set_role(session, username=args.username, role=Role(args.role), office_code=args.office,
                                 actor=actor(), now=utcnow())
        user = staff.by_username(session, args.username)
        where = f"{user.role.value} at {user.office.code}"
    print(f"staff {user.username} is now {where}" if changed else f"staff {user.username} was already {where}")
    return 0


def _apikey_list(settings: Settings, _args: argparse.Namespace) -> int:
    from intake.queries import api_keys

    with _factory(settings)() as session:
        rows = [(str(k.id), k.name, k.prefix + "…", k.role.value, k.office.code,
                 (k.owner.username + ("" if k.owner.active else " (disabled)")) if k.owner else "-",
                 f"{k.created_at:%Y-%m-%d %H:%M}", f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "-")
                for k in api_keys(session)]
    _table(("id", "name", "prefix", "role", "office", "owner", "created", "revoked"), rows)
    return 0


def _apikey_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from core.db import transaction
    from intake.accounts import revoke_api_key

    with transaction(_factory(settings)) as session:
        changed = revoke_api_key(session, key_id=args.id, actor=actor(), now=utcnow())
    print(f"API key {args.id} revoked" if changed else f"API key {args.id} was already revoked")
    return 0


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest value; times are UTC."""
    widths = [max(len(value) for value in column) for column in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        print("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
    if not rows:
        print("(none)")
