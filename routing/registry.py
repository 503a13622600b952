"""The model registry: which model directory routing uses, and every change to that, with who and why.

The active version lives in the database, so every process (web workers, the job worker) switches
to a promoted or rolled-back model on its next routing decision; each process loads a version once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier import files
from classifier.model import TextClassifier
from core.errors import Conflict, DomainError, NotFound
from routing.models import ModelChange, ModelStatus, ModelVersion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveModel:
    version: str
    model: TextClassifier
    card: dict[str, Any]


class Classifiers:
    """The active model of this process, reloaded only when the active version changes."""

    def __init__(self) -> None:
        self._loaded: ActiveModel | None = None
        self._failed: str | None = None
        self._lock = threading.Lock()

    def active(self, session: Session) -> ActiveModel | None:
        """The model to route with, or None (then everything the rules do not settle goes to triage)."""
        row = session.scalar(select(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE))
        if row is None:
            return None
        with self._lock:
            if self._loaded is not None and self._loaded.version == row.version:
                return self._loaded
            if self._failed == row.version:
                return None
            try:
                model, card = files.load(Path(row.path))
            except DomainError as exc:  # a broken model file must not stop intake: triage takes over
                log.error("active model %s cannot be loaded, routing to triage: %s", row.version, exc.message)
                self._failed = row.version
                return None
            self._loaded = ActiveModel(row.version, model, card)
            return self._loaded


def register(session: Session, *, path: Path, now: datetime, actor: str, corrections: int = 0,
             figures: dict[str, Any] | None = None) -> ModelVersion:
    """Record a trained model directory as a candidate (its card is read and checked first)."""
    card = files.read_card(path)
    if session.scalar(select(ModelVersion).where(ModelVersion.version == card["version"])) is not None:
        raise Conflict(f"model {card['version']} is already registered")
    row = ModelVersion(version=card["version"], path=str(path.resolve()), status=ModelStatus.CANDIDATE,
                       created_at=now, examples=int(card.get("examples", 0)), corrections=corrections,
                       figures={"card": card.get("metrics", {}), **(figures or {})})
    session.add(row)
    session.add(ModelChange(at=now, action="registered", version=row.version, actor=actor,
                            reason=f"trained on {row.examples} examples ({corrections} corrections)",
                            figures=row.figures))
    session.flush()
    return row


def active_version(session: Session) -> ModelVersion | None:
    return session.scalar(select(ModelVersion).where(ModelVersion.status == ModelStatus.ACTIVE))


def promote(session: Session, *, version: str, now: datetime, actor: str, reason: str) -> ModelVersion:
    """Make `version` the one routing uses; the one before is retired (a rollback returns to it)."""
    row = _version(session, version)
    files.load(Path(row.path))  # refuse to promote a model this installation cannot load
    current = active_version(session)
    if current is not None and current.id == row.id:
        raise Conflict(f"model {version} is already active")
    if current is not None:
        current.status = ModelStatus.RETIRED
    row.status = ModelStatus.ACTIVE
    row.activated_at = now
    session.add(ModelChange(at=now, action="promoted", version=row.version,
                            previous_version=current.version if current else None, actor=actor, reason=reason,
                            figures=row.figures))
    session.flush()
    return row


def reject(session: Session, *, version: str, now: datetime, actor: str, reason: str,
           figures: dict[str, Any] | None = None) -> ModelVersion:
    row = _version(session, version)
    if row.status == ModelStatus.ACTIVE:
        raise Conflict(f"model {version} is active; roll it back instead")
    row.status = ModelStatus.REJECTED
    session.add(ModelChange(at=now, action="rejected", version=version, actor=actor, reason=reason,
                            figures=figures or row.figures))
    session.flush()
    return row


def rollback(session: Session, *, now: datetime, actor: str, reason: str) -> ModelVersion:
    """Return to the most recently active earlier model; the current one is marked rejected."""
    current = active_version(session)
    if current is None:
        raise Conflict("no model is active, so there is nothing to roll back")
    previous = session.scalar(select(ModelVersion).where(ModelVersion.status == ModelStatus.RETIRED)
                              .order_by(ModelVersion.activated_at.desc(), ModelVersion.id.desc()).limit(1))
    if previous is None:
        raise Conflict(f"model {current.version} is the only one that was ever active; there is nothing to return to")
    files.load(Path(previous.path))
    current.status = ModelStatus.REJECTED
    previous.status = ModelStatus.ACTIVE
    previous.activated_at = now
    session.add(ModelChange(at=now, action="rolled_back", version=previous.version,
                            previous_version=current.version, actor=actor, reason=reason))
    session.flush()
    return previous


def versions(session: Session) -> list[ModelVersion]:
    return list(session.scalars(select(ModelVersion).order_by(ModelVersion.created_at.desc(),
                                                                ModelVersion.id.desc())))


def changes(session: Session, *, limit: int = 50) -> list[ModelChange]:
    return list(session.scalars(select(ModelChange).order_by(ModelChange.id.desc()).limit(limit)))


def _version(session: Session, version: str) -> ModelVersion:
    row = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
    if row is None:
        raise NotFound(f"no model {version!r}; `redress model list` shows them")
    return row
