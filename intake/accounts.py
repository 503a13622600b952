"""Writers for staff accounts and API keys (split from services.py by subject)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from intake.models import ApiKey, Office, Role, StaffUser

_hasher = PasswordHasher()
KEY_PREFIX = "rk_"


@dataclass
class IssuedKey:
    api_key: ApiKey
    secret: str  # shown once; only its hash is stored


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, *, name: str, role: Role, office: Office, now: datetime) -> IssuedKey:
    """Issue a key with 256 random bits; the caller shows `secret` once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("an API key needs a name of 1 to 100 characters", field="name")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=secret[:10], key_hash=hash_api_key(secret), role=role, office_id=office.id,
                 created_at=now)
    session.add(key)
    session.flush()
    return IssuedKey(api_key=key, secret=secret)


def revoke_api_keys(session: Session, *, name: str, now: datetime) -> int:
    keys = session.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))).all()
    for key in keys:
        key.revoked_at = now
    return len(keys)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters", field="password")
    return _hasher.hash(password)


def password_matches(password: str, stored_hash: str) -> bool:
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
