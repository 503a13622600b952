"""Quality and speed of a model on labelled data: the figures `redress evaluate` prints."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from classifier.data import Labelled
from classifier.model import Progress, TextClassifier, threshold_for_precision
from core.errors import InvalidInput

LATENCY_CALLS = 1000
THROUGHPUT_SECONDS = 1.0


def evaluate(model: TextClassifier, examples: Labelled, *, card: dict[str, Any],
             progress: Progress | None = None) -> dict[str, Any]:
    """Accuracy, F1s, per-label figures, auto-routing at the model's thresholds, latency and throughput."""
    say = progress or (lambda _message: None)
    unknown = sorted(set(examples.labels) - set(model.labels))
    if unknown:
        count = sum(label in unknown for label in examples.labels)
        raise InvalidInput(f"{count} row(s) have labels the model was not trained on: {', '.join(unknown[:10])}"
                           f"{' …' if len(unknown) > 10 else ''}. The model knows: {', '.join(model.labels)}",
                           field="label")
    say(f"predicting {len(examples.texts):,} texts")
    probabilities = model.probabilities(examples.texts)
    figures = quality(model, examples, probabilities=probabilities)
    labels = np.array(model.labels)
    truth = np.array(examples.labels)
    predicted = labels[probabilities.argmax(axis=1)]
    present = sorted(set(examples.labels))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=present,
                                                                     zero_division=0)
    best = threshold_for_precision(probabilities.max(axis=1), predicted == truth,
                                   float(card.get("target_precision", 0.95)))
    say("timing single predictions")
    latency = _latency_ms(model, examples.texts)
    say("timing batch predictions")
    return {
        "model_version": card.get("version"),
        "examples": len(examples.texts),
        "accuracy": figures["accuracy"],
        "macro_f1": figures["macro_f1"],
        "weighted_f1": figures["weighted_f1"],
        "per_label": {label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                              "support": int(s)}
                      for label, p, r, f, s in zip(present, precision, recall, f1, support, strict=True)},
        "auto_route": {
            "target_precision": card.get("target_precision"),
            "threshold": round(model.threshold, 4),
            "label_thresholds": {k: round(v, 4) for k, v in sorted(model.label_thresholds.items())},
            "precision": figures["precision_at_threshold"],
            "coverage": figures["coverage"],
            "best_on_this_data": {"threshold": round(best.value, 4), "precision": round(best.precision, 4),
                                  "coverage": round(best.coverage, 4)},
        },
        "latency_ms": {"p50": round(float(np.percentile(latency, 50)), 3),
                       "p99": round(float(np.percentile(latency, 99)), 3)},
        "throughput_per_second": round(_throughput(model, examples.texts)),
        "training_seconds": card.get("training_seconds"),
    }


def quality(model: TextClassifier, examples: Labelled, *, probabilities: np.ndarray | None = None) -> dict[str, Any]:
    """Accuracy, F1s, and precision and coverage of auto-routing; labels the model lacks simply count as errors."""
    if probabilities is None:
        probabilities = model.probabilities(examples.texts)
    predicted = np.array(model.labels)[probabilities.argmax(axis=1)]
    truth = np.array(examples.labels)
    confidence = probabilities.max(axis=1)
    routed = confidence >= np.array([model.threshold_for(label) for label in predicted])
    correct = predicted == truth
    present = sorted(set(examples.labels))
    return {
        "examples": len(truth),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)), 4),
        "weighted_f1": round(float(f1_score(truth, predicted, labels=present, average="weighted",
                                            zero_division=0)), 4),
        "precision_at_threshold": round(float(correct[routed].mean()), 4) if routed.any() else None,
        "coverage": round(float(routed.mean()), 4),
    }


def _latency_ms(model: TextClassifier, texts: list[str]) -> np.ndarray:
    """Milliseconds per one-text prediction, as the router makes them (texts cycled to 1,000 calls)."""
    for text in texts[:20]:
        model.predict(text)  # warm caches
    times = []
    for i in range(LATENCY_CALLS):
        started = time.perf_counter()
        model.predict(texts[i % len(texts)])
        times.append((time.perf_counter() - started) * 1000)
    return np.array(times)


def _throughput(model: TextClassifier, texts: list[str]) -> float:
    """Texts per second predicting the whole set in one batch, repeated for at least a second."""
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < THROUGHPUT_SECONDS:
        model.probabilities(texts)
        done += len(texts)
    return done / elapsed
