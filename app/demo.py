"""The demo: a fictional province's directory, its staff logins and an API key, for `make run`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from escalation.directory import load_file
from intake.accounts import create_api_key, revoke_api_keys
from intake.models import Role
from intake.queries import office_by_code, staff_logins

DIRECTORY = Path(__file__).parent / "demo_directory.toml"
DEMO_PASSWORD = "redress-demo"  # noqa: S105 - printed on purpose: demo accounts only
DEMO_KEY_NAME = "demo-admin"
ROOT = "RV"


@dataclass
class Demo:
    loaded_now: bool  # False when an earlier run had loaded it: edits made since are kept
    logins: list[tuple[str, str, str]]  # office code, username, role
    api_key: str


def load_demo(session: Session, *, now: datetime) -> Demo:
    """Load the demo directory once, and issue a fresh demo admin key (revoking the previous one)."""
    root = office_by_code(session, ROOT)
    loaded_now = root is None
    if loaded_now:
        load_file(session, path=DIRECTORY, now=now, staff_password=DEMO_PASSWORD)
        root = office_by_code(session, ROOT)
        if root is None:
            raise RuntimeError(f"the demo directory has no root office {ROOT}")
    revoke_api_keys(session, name=DEMO_KEY_NAME, now=now)
    issued = create_api_key(session, name=DEMO_KEY_NAME, role=Role.ADMIN, office=root, now=now)
    return Demo(loaded_now=loaded_now, logins=staff_logins(session), api_key=issued.secret)
