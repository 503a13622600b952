"""The text model: calibrated, explainable, fast on one text, and safe about the files it loads."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from classifier import files
from classifier.data import Labelled, read_labelled
from classifier.evaluate import evaluate
from classifier.model import TextClassifier, threshold_for_precision
from classifier.text import normalise, tokens
from classifier.training import sample, train
from core.errors import InvalidInput

CORPUS = Path(__file__).parent.parent / "app" / "demo_corpus.csv"
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus() -> Labelled:
    return read_labelled(CORPUS)


@pytest.fixture(scope="module")
def fitted(corpus):
    return TextClassifier.fit(corpus.texts, corpus.labels)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, corpus):
    directory = tmp_path_factory.mktemp("models") / "demo"
    model, card = train(corpus, directory, now=NOW, source="demo_corpus.csv")
    return directory, model, card


def write_csv(path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(("raw", "expected"), [
    ("हाम्रो टोलमा खानेपानी आएको छैन", ["हाम्रो", "टोलमा", "खानेपानी", "आएको", "छैन"]),
    ("No WATER for 3 days!!! Pleeeease", ["no", "water", "for", "0", "days", "pleease"]),
    ("see https://example.org/x now", ["see", "now"]),
    ("Ｗａｔｅｒ ＢＩＬＬ", ["water", "bill"]),
], ids=["devanagari-words-whole", "sms-shouting-digits", "links-dropped", "fullwidth"])
def test_normalise_and_tokens_keep_words_whole_in_any_script(raw, expected):
    assert tokens(normalise(raw)) == expected


def test_single_text_scoring_equals_the_pipeline(fitted, corpus):
    model, _ = fitted
    texts = corpus.texts[::7] + ["", "zzzz qqqq", "बिजुली", "no pani 4 dayz plz"]
    direct = np.array([model._margins(text) for text in texts])
    assert np.allclose(direct, model.pipeline.decision_function(texts), atol=1e-5)


def test_two_labels_score_and_explain_like_many(corpus):
    pairs = [(t, lab) for t, lab in zip(corpus.texts, corpus.labels, strict=True) if lab in ("water", "schools")]
    model, _ = TextClassifier.fit([t for t, _ in pairs], [lab for _, lab in pairs])
    text = "no water in our tap for three days"
    margin = model.pipeline.decision_function([text])[0]
    assert np.allclose(model._margins(text), [-margin, margin], atol=1e-5)
    assert model.predict(text).label == "water"
    assert model.explain(text)


def test_probabilities_are_calibrated_distributions_with_top_k(fitted):
    model, report = fitted
    prediction = model.predict("garbage truck has not come to ward 4 for two weeks, it stinks", k=3)
    assert prediction.label == "waste"
    assert [label for label, _ in prediction.top][0] == "waste" and len(prediction.top) == 3
    assert prediction.top == sorted(prediction.top, key=lambda pair: -pair[1])
    batch = model.probabilities(["x", "no water", "pension not paid"])
    assert np.allclose(batch.sum(axis=1), 1.0)
    assert 0.02 < report.temperature < 20
    assert report.folds >= 2 and 0.5 < report.cv_macro_f1 <= 1.0


def test_the_same_text_scores_the_same_alone_and_in_a_batch(fitted):
    model, _ = fitted
    texts = ["streetlight broken since a week", "घुस नदिई नागरिकता बनाइदिएनन्"]
    batch = model.probabilities(texts)
    assert np.allclose(batch[0], model.probabilities(texts[:1])[0], atol=1e-6)


def test_explanations_are_words_of_the_complaint(fitted):
    model, _ = fitted
    text = "the clerk at the water office asked 2000 rupees bribe to connect our tap"
    prediction = model.predict(text)
    assert prediction.label == "corruption"
    terms = model.explain(text)
    words = set(tokens(normalise(text)))
    assert terms and all(term in words for term, _ in terms)
    assert "bribe" in [term for term, _ in terms]
    assert sum(share for _, share in terms) <= 1.0 + 0.005  # shares are rounded to 3 places
    with pytest.raises(InvalidInput):
        model.explain(text, label="no-such-label")


@pytest.mark.parametrize(("confidence", "correct", "expected"), [
    ([0.9, 0.8, 0.7, 0.6], [True, True, True, True], (0.6, 1.0, 1.0)),
    ([0.9, 0.8, 0.7, 0.6], [True, True, False, False], (0.8, 1.0, 0.5)),
    ([0.9, 0.8], [False, False], (1.0, 0.0, 0.0)),
    ([], [], (1.0, 0.0, 0.0)),
], ids=["all-right", "cut-after-second", "none-right", "empty"])
def test_threshold_is_the_lowest_confidence_that_keeps_the_precision(confidence, correct, expected):
    found = threshold_for_precision(np.array(confidence), np.array(correct, dtype=bool), 0.95)
    assert (found.value, found.precision, found.coverage) == pytest.approx(expected)


def test_a_wilson_margin_asks_for_more_evidence_than_the_raw_share():
    confidence = np.linspace(0.99, 0.5, 40)
    correct = np.ones(40, dtype=bool)
    assert threshold_for_precision(confidence, correct, 0.95).coverage == 1.0
    assert threshold_for_precision(confidence[:10], correct[:10], 0.95, z=1.645).value == 1.0


def test_tiny_data_with_a_single_example_label_still_trains():
    texts = ["no water today", "water pipe burst", "tap dry again", "road full of potholes", "bridge broken",
             "pension not paid"]
    labels = ["water", "water", "water", "roads", "roads", "social-benefits"]
    model, report = TextClassifier.fit(texts, labels)
    assert set(model.labels) == set(labels)
    assert report.folds == 2


def test_one_label_is_refused():
    with pytest.raises(InvalidInput, match="at least two labels"):
        TextClassifier.fit(["a b", "c d"], ["x", "x"])


def test_saved_model_loads_with_its_card(saved):
    directory, model, card = saved
    loaded, read = files.load(directory)
    assert read == card
    for key in ("version", "trained_at", "labels", "training_data_sha256", "metrics", "libraries", "threshold"):
        assert key in card
    assert card["libraries"]["scikit-learn"]
    text = "bijuli chaina 2 din bhayo"
    assert loaded.predict(text) == model.predict(text)


@pytest.mark.parametrize("damage", ["format", "sklearn", "checksum", "card-json", "missing"])
def test_loading_refuses_an_incompatible_or_changed_model(saved, tmp_path, damage):
    source, _, _ = saved
    directory = tmp_path / "copy"
    directory.mkdir()
    for name in (files.CARD_FILE, files.PIPELINE_FILE):
        (directory / name).write_bytes((source / name).read_bytes())
    card = json.loads((directory / files.CARD_FILE).read_text())
    if damage == "format":
        card["format"] = "openredress-classifier/0"
    elif damage == "sklearn":
        card["libraries"]["scikit-learn"] = "0.24.2"
    if damage in ("format", "sklearn"):
        (directory / files.CARD_FILE).write_text(json.dumps(card))
    elif damage == "checksum":
        with (directory / files.PIPELINE_FILE).open("ab") as handle:
            handle.write(b"\0")
    elif damage == "card-json":
        (directory / files.CARD_FILE).write_text("{not json")
    else:
        (directory / files.CARD_FILE).unlink()
    message = {"format": "Retrain", "sklearn": "scikit-learn 0.24.2", "checksum": "checksum",
               "card-json": "not readable JSON", "missing": "not a model directory"}[damage]
    with pytest.raises(files.IncompatibleModel, match=message):
        files.load(directory)


def test_reading_refuses_bad_files_with_clear_messages(tmp_path):
    missing = write_csv(tmp_path / "cols.csv", [{"complaint": "no water", "office": "water"}])
    with pytest.raises(InvalidInput, match="no column 'text' or 'label'; the columns are complaint, office"):
        read_labelled(missing)
    assert read_labelled(missing, text_col="complaint", label_col="office").labels == ["water"]
    empty_rows = write_csv(tmp_path / "empty.csv", [{"text": "no water", "label": "water"},
                                                    {"text": "  ", "label": "water"}, {"text": "x", "label": ""}])
    with pytest.raises(InvalidInput, match=r"2 row\(s\) with an empty 'text' or 'label', at line\(s\) 3, 4"):
        read_labelled(empty_rows)
    latin = write_csv(tmp_path / "latin.csv", [{"text": "pas d'électricité", "label": "electricity"}],
                      encoding="latin-1")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        read_labelled(latin)
    (tmp_path / "blank.csv").write_text("")
    with pytest.raises(InvalidInput, match="the file is empty"):
        read_labelled(tmp_path / "blank.csv")
    with pytest.raises(InvalidInput, match="no such file"):
        read_labelled(tmp_path / "nowhere.csv")


def test_evaluation_refuses_labels_the_model_never_saw(saved):
    directory, model, card = saved
    with pytest.raises(InvalidInput, match="1 row\\(s\\) have labels the model was not trained on: parking"):
        evaluate(model, Labelled(["car parked on footpath"], ["parking"]), card=card)


def test_sample_keeps_every_label(corpus):
    small = sample(corpus, 20, seed=3)
    assert len(small.texts) == 20
    assert set(small.labels) == set(corpus.labels)
    assert sample(corpus, 20, seed=3) == small
    assert sample(corpus, 10**6) == corpus


def test_similarity_finds_the_same_problem_told_differently():
    from classifier.similarity import similarity

    base = "Water pipe burst near Ratna chowk, water flowing on road since morning"
    others = ["pipe burst ratna chowk plz fix", "no water in ward 5 for three days", "",
              "streetlight broken near Ratna chowk", base.upper()]
    scores = similarity(base, others)
    assert scores[4] == pytest.approx(1.0)
    assert scores[0] > 0.3 > max(scores[1], scores[3]) and scores[2] == 0.0
    assert similarity(base, []) == []
