"""Classifier benchmark: quality and speed of our model beside a plain TF-IDF + linear SVM baseline, same run.

For every dataset directory under --data (each with train.csv and test.csv, columns text,label): train
on train.csv, score on test.csv, and print accuracy, macro-F1, weighted-F1, auto-route precision and
coverage, single-prediction latency p50/p99, batch throughput, training seconds, and the learning
curve at 50 / 200 / all labelled examples. Then time training on 100,000 texts (a synthetic scale-up
of real rows, each lightly perturbed so no two are identical). Pinned to one CPU core.

    .venv/bin/python bench/classifier.py --data ../shared/data [--json results.json]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier.data import Labelled, read_labelled  # noqa: E402
from classifier.evaluate import evaluate  # noqa: E402
from classifier.training import sample, train  # noqa: E402

CURVE = (50, 200)
SCALE_UP = 100_000


def baseline() -> Pipeline:
    """The datasets' README baseline: word 1–2 + char_wb 2–5 TF-IDF into LinearSVC(C=0.5, balanced), untuned."""
    return Pipeline([
        ("features", FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"\b\w+\b", sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ])),
        ("svm", LinearSVC(C=0.5, class_weight="balanced")),
    ])


def measure_baseline(train_set: Labelled, test_set: Labelled) -> dict:
    started = time.perf_counter()
    model = baseline().fit(train_set.texts, train_set.labels)
    seconds = time.perf_counter() - started
    predicted = model.predict(test_set.texts)
    latency = []
    for i in range(1000):
        text = test_set.texts[i % len(test_set.texts)]
        t0 = time.perf_counter()
        model.predict([text])
        latency.append((time.perf_counter() - t0) * 1000)
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 1.0:
        model.predict(test_set.texts)
        done += len(test_set.texts)
    return {"accuracy": round(accuracy_score(test_set.labels, predicted), 4),
            "macro_f1": round(f1_score(test_set.labels, predicted, average="macro", zero_division=0), 4),
            "weighted_f1": round(f1_score(test_set.labels, predicted, average="weighted", zero_division=0), 4),
            "latency_ms": {"p50": round(float(np.percentile(latency, 50)), 3),
                           "p99": round(float(np.percentile(latency, 99)), 3)},
            "throughput_per_second": round(done / (time.perf_counter() - t0)),
            "training_seconds": round(seconds, 3)}


def curve_point(train_set: Labelled, test_set: Labelled, size: int, workdir: Path) -> dict:
    small = sample(train_set, size, seed=0)
    _, card = train(small, workdir / f"curve-{size}", now=datetime.now(UTC), source="curve")
    from classifier import files

    model, card = files.load(workdir / f"curve-{size}")
    probabilities = model.probabilities(test_set.texts)
    predicted = np.array(model.labels)[probabilities.argmax(axis=1)]
    ours = f1_score(test_set.labels, predicted, average="macro", zero_division=0)
    base = baseline().fit(small.texts, small.labels) if len(set(small.labels)) > 1 else None
    base_f1 = f1_score(test_set.labels, base.predict(test_set.texts), average="macro", zero_division=0) if base else 0
    return {"examples": len(small.texts), "macro_f1": round(float(ours), 4), "baseline_macro_f1": round(base_f1, 4)}


def scale_up(rows: Labelled, size: int) -> Labelled:
    """Real rows repeated to `size`, each with some words dropped and one reversed, so none repeats exactly."""
    rng = random.Random(0)
    texts, labels = [], []
    while len(texts) < size:
        i = rng.randrange(len(rows.texts))
        words = [w for w in rows.texts[i].split() if rng.random() > 0.15] or rows.texts[i].split()
        j = rng.randrange(len(words))
        words[j] = words[j][::-1]
        texts.append(" ".join(words))
        labels.append(rows.labels[i])
    return Labelled(texts, labels)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    parser.add_argument("--no-scale", action="store_true", help="skip the 100,000-text training timing")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results: dict = {"datasets": {}}
    largest: Labelled | None = None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for directory in sorted(p for p in args.data.iterdir() if (p / "train.csv").is_file()):
            train_set, test_set = read_labelled(directory / "train.csv"), read_labelled(directory / "test.csv")
            if largest is None or len(train_set.texts) > len(largest.texts):
                largest = train_set
            model, card = train(train_set, workdir / directory.name, now=datetime.now(UTC), source=directory.name)
            ours = evaluate(model, test_set, card=card)
            base = measure_baseline(train_set, test_set)
            curve = [curve_point(train_set, test_set, size, workdir) for size in CURVE if size < len(train_set.texts)]
            curve.append({"examples": len(train_set.texts), "macro_f1": ours["macro_f1"],
                          "baseline_macro_f1": base["macro_f1"]})
            chars = statistics.mean(len(t) for t in test_set.texts)
            results["datasets"][directory.name] = {"ours": ours, "baseline": base, "learning_curve": curve,
                                                   "test_mean_chars": round(chars)}
            report(directory.name, ours, base, curve, chars)
        if largest is not None and not args.no_scale:
            big = scale_up(largest, SCALE_UP)
            _, card = train(big, workdir / "scale", now=datetime.now(UTC), source="scale-up")
            t0 = time.perf_counter()
            baseline().fit(big.texts, big.labels)
            base_seconds = time.perf_counter() - t0
            results["scale_up"] = {"texts": SCALE_UP, "training_seconds": card["training_seconds"],
                                   "baseline_training_seconds": round(base_seconds, 2)}
            print(f"\ntraining on {SCALE_UP:,} texts (scale-up of real rows): ours {card['training_seconds']:.1f} s "
                  f"(target ≤ 60 s), baseline {base_seconds:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def report(name: str, ours: dict, base: dict, curve: list[dict], chars: float) -> None:
    route = ours["auto_route"]
    print(f"\n== {name} ({ours['examples']} test texts, mean {chars:.0f} chars)")
    print(f"{'':<26}{'ours':>12}{'baseline':>12}")
    for label, key in [("accuracy", "accuracy"), ("macro-F1", "macro_f1"), ("weighted-F1", "weighted_f1"),
                       ("training s", "training_seconds"), ("batch texts/s", "throughput_per_second")]:
        print(f"{label:<26}{ours[key]:>12}{base[key]:>12}")
    for p in ("p50", "p99"):
        print(f"{'single predict ms ' + p:<26}{ours['latency_ms'][p]:>12}{base['latency_ms'][p]:>12}")
    precision = "n/a" if route["precision"] is None else f"{route['precision']:.3f}"
    best = route["best_on_this_data"]
    print(f"auto-route at the threshold chosen in training: precision {precision}, coverage {route['coverage']:.3f}; "
          f"best possible on this test set at ≥ 0.95: coverage {best['coverage']:.3f}")
    print("learning curve (macro-F1, ours / baseline): " + ", ".join(
        f"{point['examples']}: {point['macro_f1']:.3f} / {point['baseline_macro_f1']:.3f}" for point in curve))


if __name__ == "__main__":
    raise SystemExit(main())
