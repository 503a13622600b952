"""The routing model's life in this deployment: the seed corpus, the first model, and scheduled retraining."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from classifier.data import read_labelled
from classifier.model import Progress
from core.db import transaction
from core.settings import Settings
from routing import learning, registry

DEMO_CORPUS = Path(__file__).parent / "demo_corpus.csv"
SYSTEM_ACTOR = "system"


def seed_path(settings: Settings) -> Path:
    """The labelled CSV every model starts from: the deployment's own, else the demo corpus."""
    return Path(settings.seed_corpus) if settings.seed_corpus else DEMO_CORPUS


def ensure_model(factory: sessionmaker[Session], *, settings: Settings, now: datetime,
                 progress: Progress | None = None) -> str | None:
    """Train and activate a first model from the seed corpus when none is active; the new version, or None."""
    with transaction(factory) as session:
        if registry.active_version(session) is not None:
            return None
    return retrain(factory, settings=settings, now=now, progress=progress, force=True).version


def retrain(factory: sessionmaker[Session], *, settings: Settings, now: datetime, actor: str = SYSTEM_ACTOR,
            force: bool = False, progress: Progress | None = None) -> learning.Retrained:
    """Retrain from the seed corpus and the corrections in the database (see routing.learning)."""
    return learning.retrain(lambda: transaction(factory), seed=read_labelled(seed_path(settings)),
                            model_dir=Path(settings.model_dir), now=now, actor=actor, progress=progress, force=force)
