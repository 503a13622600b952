"""Passwords and API keys (split from services.py by subject); the lifecycle of staff accounts is intake.staff."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from intake.models import ApiKey, Office, Role, StaffUser

_hasher = PasswordHasher()
KEY_PREFIX = "rk_"
MAX_PASSWORD = 1024  # the sign-in form reads no more


@dataclass
class IssuedKey:
    api_key: ApiKey
    secret: str  # shown once; only its hash is stored


def hash_api_key(secret: str) -> str:
    """A fast hash suffices: the secret carries 256 random bits, so it cannot be guessed from the hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, *, name: str, role: Role, office: Office, now: datetime,
                   owner: StaffUser | None = None, actor: str = "system") -> IssuedKey:
    """Issue a key with 256 random bits; the caller shows `secret` once. An owned key stops while its owner is
    disabled."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("an API key needs a name of 1 to 100 characters", field="name")
    if owner is not None and not owner.active:
        raise Conflict(f"staff {owner.username} is disabled; a disabled account cannot own a new key", field="owner")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=secret[:10], key_hash=hash_api_key(secret), role=role, office=office,
                 created_at=now, owner=owner)
    session.add(key)
    session.flush()
    audit.record(session, at=now, actor=actor, action="apikey.create", subject=_key_subject(key),
                 after=key_fields(key))
    return IssuedKey(api_key=key, secret=secret)


def revoke_api_keys(session: Session, *, name: str, now: datetime, actor: str = "system") -> int:
    """Revoke every live key of this name (the demo replaces its key this way)."""
    keys = session.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))).all()
    for key in keys:
        _revoke(session, key=key, actor=actor, now=now)
    return len(keys)


def revoke_api_key(session: Session, *, key_id: int, actor: str, now: datetime) -> bool:
    """Revoke one key by its id; False if it was revoked already (nothing changes then)."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}; `redress apikey list` shows them", field="id")
    if key.revoked_at is not None:
        return False
    _revoke(session, key=key, actor=actor, now=now)
    return True


def key_fields(key: ApiKey) -> dict[str, object]:
    """What the audit keeps of a key: never the key, its hash or its prefix."""
    return {"name": key.name, "role": key.role.value, "office": key.office.code,
            "owner": key.owner.username if key.owner else None, "revoked": key.revoked_at is not None}


def _revoke(session: Session, *, key: ApiKey, actor: str, now: datetime) -> None:
    before = key_fields(key)
    key.revoked_at = now
    audit.record(session, at=now, actor=actor, action="apikey.revoke", subject=_key_subject(key), before=before,
                 after=key_fields(key))


def _key_subject(key: ApiKey) -> str:
    return f"api key {key.id} {key.name}"


def hash_password(password: str) -> str:
    """An argon2 hash, slow on purpose: a copied database gives up no password quickly."""
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters", field="password")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"a password can have at most {MAX_PASSWORD} characters", field="password")
    return _hasher.hash(password)


def password_matches(password: str, stored_hash: str) -> bool:
    """False for a wrong password and for a hash that is not one (such as "": no password yet)."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def upsert_staff(session: Session, *, username: str, display_name: str, role: Role, office: Office,
                 password_hash: str, now: datetime) -> StaffUser:
    """Create a staff account, or update an existing one's office, role and password (given hashed)."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        user = StaffUser(username=username, created_at=now, active=True)
        session.add(user)
    user.display_name = display_name
    user.role = role
    user.office_id = office.id
    user.password_hash = password_hash
    return user
