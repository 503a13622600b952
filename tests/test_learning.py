"""Learning from corrections: retrain, promote only when not worse, and the registry's history."""

from __future__ import annotations

import random
from contextlib import nullcontext

import pytest
from sqlalchemy import select

from classifier.data import Labelled, read_labelled
from classifier.training import train
from core.errors import Conflict
from intake.queries import category_by_code, office_by_code
from routing import registry
from routing.learning import _not_worse, corrected_labels, retrain
from routing.models import ModelChange, ModelStatus
from routing.services import transfer
from tests.test_classifier import CORPUS, NOW
from tests.test_routing import OFFICER, submit


@pytest.fixture(scope="module")
def corpus() -> Labelled:
    return read_labelled(CORPUS)


@pytest.fixture(scope="module")
def without_land(corpus) -> Labelled:
    """A seed that has never seen a land complaint: the model cannot route them."""
    keep = [i for i, label in enumerate(corpus.labels) if label != "land"]
    return Labelled([corpus.texts[i] for i in keep], [corpus.labels[i] for i in keep])


@pytest.fixture
def active_without_land(session, clock, tmp_path, without_land):
    directory = tmp_path / "first"
    train(without_land, directory, now=NOW, source="seed without land")
    row = registry.register(session, path=directory, now=clock.now, actor="test")
    registry.promote(session, version=row.version, now=clock.now, actor="test", reason="first")
    return registry.Classifiers().active(session)


def triage_as(session, model, clock, texts, category):
    """Citizens send these; the model cannot place them; triage staff route them with the right category."""
    office = office_by_code(session, "RV-LAND") if category == "land" else None
    for text in texts:
        clock.advance(minutes=30)
        grievance = submit(session, model, clock, text)
        target = office or grievance.office
        if grievance.office is not None and grievance.office.code == "RV-LAND":
            continue
        transfer(session, grievance=grievance, to_office=target, actor=OFFICER, now=clock.now,
                 note="this is a land matter", category=category_by_code(session, category))
    session.flush()


def test_corrections_teach_a_new_category_and_the_better_model_is_promoted(session, clock, tmp_path, corpus,
                                                                             without_land, active_without_land):
    land = [t for t, label in zip(corpus.texts, corpus.labels, strict=True) if label == "land"]
    random.Random(1).shuffle(land)
    triage_as(session, active_without_land, clock, land[:30], "land")
    labels = corrected_labels(session)
    assert len(labels) == 30 and {code for _, _, code in labels} == {"land"}
    clock.advance(hours=1)
    result = retrain(lambda: nullcontext(session), seed=without_land, model_dir=tmp_path / "models",
                     now=clock.now, actor="test")
    assert result.promoted, result.reason
    assert result.figures["held_back"] == 6
    assert result.figures["candidate"]["macro_f1"] > result.figures["active"]["macro_f1"]
    active = registry.active_version(session)
    assert active.version == result.version and active.corrections == 24
    assert "land" in registry.Classifiers().active(session).model.labels
    actions = [c.action for c in session.scalars(select(ModelChange).order_by(ModelChange.id))]
    assert actions == ["registered", "promoted", "registered", "promoted"]

    again = retrain(lambda: nullcontext(session), seed=without_land, model_dir=tmp_path / "models",
                    now=clock.now, actor="test")
    assert again.version is None and "no corrections since" in again.reason


def test_a_worse_candidate_is_rejected_and_the_active_model_stays(session, clock, tmp_path, corpus,
                                                                    active_without_land):
    water = [t for t, label in zip(corpus.texts, corpus.labels, strict=True) if label == "water"][:10]
    for text in water:
        clock.advance(minutes=30)
        grievance = submit(session, active_without_land, clock, text)
        if grievance.status.value == "triage":
            transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N-WATER"), actor=OFFICER,
                     now=clock.now, note=None, category=category_by_code(session, "water"))
        else:
            transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N-ROADS"), actor=OFFICER,
                     now=clock.now, note="checking", category=category_by_code(session, "roads"))
            transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N-WATER"), actor=OFFICER,
                     now=clock.now, note="it was water after all", category=category_by_code(session, "water"))
    shuffled = list(corpus.labels)
    random.Random(0).shuffle(shuffled)
    sabotaged = Labelled(corpus.texts, shuffled)  # a seed with its labels scrambled learns nothing useful
    clock.advance(hours=1)
    result = retrain(lambda: nullcontext(session), seed=sabotaged, model_dir=tmp_path / "models",
                     now=clock.now, actor="test")
    assert not result.promoted and result.reason.startswith("rejected")
    assert registry.active_version(session).version == active_without_land.version
    assert session.scalar(select(ModelChange).order_by(ModelChange.id.desc())).action == "rejected"


@pytest.mark.parametrize(("candidate", "active", "expected"), [
    ((0.8, 0.96), (0.8, 0.95), True),
    ((0.81, 0.90), (0.80, 0.95), False),
    ((0.79, 0.99), (0.80, 0.95), False),
    ((0.80, None), (0.80, 0.95), True),
], ids=["equal-f1-better-precision", "worse-precision", "worse-f1", "routes-nothing"])
def test_promotion_needs_both_figures_at_least_as_good(candidate, active, expected):
    def figures(pair):
        return {"macro_f1": pair[0], "precision_at_threshold": pair[1]}

    assert _not_worse(figures(candidate), figures(active), 10)[0] is expected


def test_promote_and_rollback_are_recorded(session, clock, tmp_path, corpus, without_land):
    rows = []
    for i, data in enumerate([without_land, corpus]):
        directory = tmp_path / f"m{i}"
        train(data, directory, now=NOW.replace(minute=i), source="test")
        rows.append(registry.register(session, path=directory, now=clock.now, actor="test"))
    with pytest.raises(Conflict, match="no model is active"):
        registry.rollback(session, now=clock.now, actor="test", reason="x")
    registry.promote(session, version=rows[0].version, now=clock.now, actor="test", reason="first")
    with pytest.raises(Conflict, match="only one that was ever active"):
        registry.rollback(session, now=clock.now, actor="test", reason="x")
    clock.advance(hours=1)
    registry.promote(session, version=rows[1].version, now=clock.now, actor="alice", reason="better")
    assert (rows[0].status, rows[1].status) == (ModelStatus.RETIRED, ModelStatus.ACTIVE)
    with pytest.raises(Conflict, match="already active"):
        registry.promote(session, version=rows[1].version, now=clock.now, actor="test", reason="again")
    back = registry.rollback(session, now=clock.now, actor="bob", reason="it misroutes land")
    assert back.version == rows[0].version
    assert (rows[0].status, rows[1].status) == (ModelStatus.ACTIVE, ModelStatus.REJECTED)
    last = registry.changes(session)[0]
    assert (last.action, last.version, last.previous_version, last.actor, last.reason) == (
        "rolled_back", rows[0].version, rows[1].version, "bob", "it misroutes land")


def test_a_broken_active_model_sends_everything_to_triage_instead_of_failing(session, clock, tmp_path, corpus):
    directory = tmp_path / "broken"
    train(corpus, directory, now=NOW, source="test")
    row = registry.register(session, path=directory, now=clock.now, actor="test")
    registry.promote(session, version=row.version, now=clock.now, actor="test", reason="ok")
    (directory / "model.joblib").write_bytes(b"garbage")
    assert registry.Classifiers().active(session) is None
