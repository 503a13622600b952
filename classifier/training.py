"""Train a model from labelled examples and write it, with its card, to a directory."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifier import files
from classifier.data import Labelled
from classifier.model import DEFAULT_TARGET_PRECISION, Progress, TextClassifier
from core.errors import InvalidInput


def train(examples: Labelled, out: Path, *, now: datetime, source: str,
          target_precision: float = DEFAULT_TARGET_PRECISION, progress: Progress | None = None,
          extra: dict[str, Any] | None = None) -> tuple[TextClassifier, dict[str, Any]]:
    """Fit, then save with a card naming the version, the data's fingerprint and cross-validated figures."""
    started = time.perf_counter()
    model, report = TextClassifier.fit(examples.texts, examples.labels, target_precision=target_precision,
                                       progress=progress)
    seconds = time.perf_counter() - started
    data_hash = examples.sha256()
    card = {
        "version": f"{now:%Y%m%d-%H%M%S}-{data_hash[:8]}",
        "trained_at": now.isoformat(),
        "source": source,
        "training_data_sha256": data_hash,
        "examples": len(examples.texts),
        "label_counts": dict(sorted(Counter(examples.labels).items())),
        "training_seconds": round(seconds, 3),
        "target_precision": target_precision,
        "metrics": {
            "cv_folds": report.folds,
            "cv_accuracy": round(report.cv_accuracy, 4),
            "cv_macro_f1": round(report.cv_macro_f1, 4),
            "cv_precision_at_threshold": round(report.threshold.precision, 4),
            "cv_coverage_at_threshold": round(report.threshold.coverage, 4),
        },
        **(extra or {}),
    }
    if progress:
        progress(f"saving to {out}")
    return model, files.save(model, out, card=card)


def sample(examples: Labelled, size: int, *, seed: int = 0) -> Labelled:
    """`size` examples at random, but at least one of every label, as a new deployment's first labels would be."""
    if size < 1:
        raise InvalidInput("--sample must be at least 1", field="sample")
    if size >= len(examples.texts):
        return examples
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(examples.texts))
    first: dict[str, int] = {}
    for index in order:
        first.setdefault(examples.labels[index], int(index))
    chosen = list(first.values())[:size]
    taken = set(chosen)
    chosen += [int(i) for i in order if int(i) not in taken][: size - len(chosen)]
    chosen.sort()
    return Labelled([examples.texts[i] for i in chosen], [examples.labels[i] for i in chosen])
