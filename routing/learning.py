"""Learning from corrections: retrain on the seed corpus plus people's routing decisions, promote only if not worse.

Every triage decision and transfer names the right category (routing.models.RoutingCorrection). A
retrain holds back the most recent fifth of those labels, trains a candidate on the seed corpus and
the rest, and scores candidate and active model on the held-back slice: the candidate is promoted
only if its macro-F1 and its precision at its own auto-route threshold are both at least the active
model's. Recent corrections are the test because they are what the model will meet next.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier import files
from classifier.data import Labelled
from classifier.evaluate import quality
from classifier.model import Progress
from classifier.training import train
from intake.models import Category, Grievance
from routing import registry
from routing.models import RoutingCorrection

HELD_BACK_SHARE = 0.2
Unit = Callable[[], AbstractContextManager[Session]]


@dataclass
class Retrained:
    version: str | None  # None: nothing was trained
    promoted: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


def corrected_labels(session: Session) -> list[tuple[datetime, str, str]]:
    """(when, text, category) per grievance a person routed or re-routed: its latest decision, oldest first."""
    rows = session.execute(select(RoutingCorrection.grievance_id, RoutingCorrection.at, Grievance.text, Category.code)
                           .join(Grievance, Grievance.id == RoutingCorrection.grievance_id)
                           .join(Category, Category.id == RoutingCorrection.category_id)
                           .order_by(RoutingCorrection.at, RoutingCorrection.id))
    latest: dict[int, tuple[datetime, str, str]] = {}
    for grievance_id, at, text, code in rows:
        latest.pop(grievance_id, None)
        latest[grievance_id] = (at, text, code)
    return sorted(latest.values(), key=lambda row: row[0])


def retrain(unit: Unit, *, seed: Labelled, model_dir: Path, now: datetime, actor: str,
            progress: Progress | None = None, force: bool = False) -> Retrained:
    """Train a candidate from the seed corpus and corrections; promote it if it is not worse on recent corrections.

    `unit()` opens a unit of work (a transaction). Training runs between two short ones, never inside
    one, so intake is not held up while a model trains. Without new corrections since the active model
    was trained there is nothing to learn, and nothing is trained unless `force`.
    """
    with unit() as session:
        labels = corrected_labels(session)
        active = registry.active_version(session)
        active_version, active_path = (active.version, Path(active.path)) if active else (None, None)
        fresh = active is None or any(at > active.created_at for at, _, _ in labels)
    if not fresh and not force:
        return Retrained(None, False, f"no corrections since the active model {active_version} was trained")
    held_count = math.ceil(len(labels) * HELD_BACK_SHARE) if labels else 0
    learn, held = labels[:len(labels) - held_count], labels[len(labels) - held_count:]
    examples = Labelled(seed.texts + [text for _, text, _ in learn], seed.labels + [code for _, _, code in learn])
    directory = model_dir / f"{now:%Y%m%d-%H%M%S}-{examples.sha256()[:8]}"  # the version train() will give it
    candidate_model, _ = train(examples, directory, now=now, source="seed+corrections", progress=progress,
                               extra={"corrections": len(learn)})
    held_out = Labelled([text for _, text, _ in held], [code for _, _, code in held])
    figures: dict[str, Any] = {"held_back": len(held)}
    if held:
        figures["candidate"] = quality(candidate_model, held_out)
    if held and active_path is not None:
        try:
            current, _ = files.load(active_path)
            figures["active"] = quality(current, held_out)
        except files.IncompatibleModel as exc:  # the active model cannot even be loaded: anything loadable is better
            figures["active"] = {"error": exc.message}

    with unit() as session:
        row = registry.register(session, path=directory, now=now, actor=actor, corrections=len(learn),
                                figures=figures)
        now_active = registry.active_version(session)
        if now_active is None and active_version is None:
            promoted, reason = True, "no model was active"
        elif (now_active.version if now_active else None) != active_version:
            promoted, reason = False, "the active model changed while this one trained; retrain again"
        elif not held:
            promoted, reason = False, "no corrections to compare on; the active model stays"
        else:
            promoted, reason = _not_worse(figures["candidate"], figures["active"], len(held))
        if promoted:
            registry.promote(session, version=row.version, now=now, actor=actor, reason=reason)
        else:
            registry.reject(session, version=row.version, now=now, actor=actor, reason=reason, figures=figures)
        return Retrained(row.version, promoted, ("promoted: " if promoted else "rejected: ") + reason, figures)


def _not_worse(candidate: dict[str, Any], active: dict[str, Any], held: int) -> tuple[bool, str]:
    """Macro-F1 and precision at threshold both at least the active model's (no auto-routing counts as precise)."""
    if "error" in active:
        return True, f"the active model cannot be loaded ({active['error']})"
    precision = [1.0 if f["precision_at_threshold"] is None else f["precision_at_threshold"]
                 for f in (candidate, active)]
    ok = candidate["macro_f1"] >= active["macro_f1"] and precision[0] >= precision[1]
    return ok, (f"on {held} held-back corrections: macro-F1 {active['macro_f1']:.3f} → {candidate['macro_f1']:.3f}, "
                f"precision at threshold {precision[1]:.3f} → {precision[0]:.3f}")
