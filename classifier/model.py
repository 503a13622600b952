"""The text model: word and character n-grams, a linear SVM, and temperature-scaled probabilities.

Why this shape: complaints are short, misspelt and multilingual, so character n-grams carry much of
the signal; a linear model is fast (well under a millisecond per text), needs little data, and its
weights explain a decision term by term. An SVM's margins are not probabilities, so one temperature,
fitted on out-of-fold margins, turns them into calibrated ones without changing which label wins.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from classifier.text import TOKEN_PATTERN, normalise, tokens
from core.errors import InvalidInput

Progress = Callable[[str], None]
DEFAULT_TARGET_PRECISION = 0.95
MIN_PREDICTIONS_FOR_LABEL_THRESHOLD = 10
MAX_FOLDS = 5
MAX_WORD_FEATURES = 200_000  # caps the model's size on big corpora; far above what a few thousand texts yield
MAX_CHAR_FEATURES = 300_000
HOLDOUT_FROM = 20_000
CONFIDENCE_Z = 1.645  # one-sided 95 %: thresholds must reach the target precision with that confidence


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    top: list[tuple[str, float]]  # the k likeliest labels, likeliest first


@dataclass(frozen=True)
class Threshold:
    """The lowest confidence at which predictions reached the target precision, and what share reached it."""

    value: float
    precision: float
    coverage: float


@dataclass(frozen=True)
class _Part:
    """One vectorizer, flattened for fast single-text scoring."""

    words: bool  # word n-grams (else character n-grams)
    analyzer: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # features x labels


@dataclass(frozen=True)
class _Compiled:
    parts: list[_Part]
    intercept: np.ndarray


@dataclass
class FitReport:
    """What cross-validation on the training data said; kept in the model file's metadata."""

    folds: int
    cv_accuracy: float
    cv_macro_f1: float
    temperature: float
    threshold: Threshold
    label_thresholds: dict[str, Threshold] = field(default_factory=dict)


def build_pipeline(c: float = 0.5) -> Pipeline:
    """Word 1–2-grams in any script plus character 2–5-grams inside word boundaries, into a balanced linear SVM."""
    words = TfidfVectorizer(preprocessor=normalise, token_pattern=TOKEN_PATTERN, ngram_range=(1, 2),
                            sublinear_tf=True, max_features=MAX_WORD_FEATURES, dtype=np.float32)
    chars = TfidfVectorizer(preprocessor=normalise, analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                            sublinear_tf=True, max_features=MAX_CHAR_FEATURES, dtype=np.float32)
    return Pipeline([("features", FeatureUnion([("word", words), ("char", chars)])),
                     ("svm", LinearSVC(C=c, class_weight="balanced", random_state=0))])


class TextClassifier:
    """A fitted pipeline with its label order, temperature and auto-route thresholds."""

    def __init__(self, pipeline: Pipeline, *, temperature: float, threshold: float,
                 label_thresholds: dict[str, float]) -> None:
        self.pipeline = pipeline
        self.labels: list[str] = [str(label) for label in pipeline.classes_]
        self.temperature = temperature
        self.threshold = threshold
        self.label_thresholds = label_thresholds
        self._fast: _Compiled | None = None

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str], *, c: float = 0.5,
            target_precision: float = DEFAULT_TARGET_PRECISION,
            progress: Progress | None = None) -> tuple[TextClassifier, FitReport]:
        """Fit on all examples; cross-validate the SVM on the same features to calibrate and set thresholds."""
        say = progress or (lambda _message: None)
        counts = Counter(labels)
        if len(counts) < 2:
            raise InvalidInput(f"training needs at least two labels; the data has {len(counts)}", field="label")
        pipeline = build_pipeline(c)
        say(f"features: {len(texts):,} texts")
        features = pipeline.named_steps["features"].fit_transform(texts)
        y = np.asarray(labels)
        classes = np.array(sorted(counts))
        svm: LinearSVC = pipeline.named_steps["svm"]
        if len(y) >= HOLDOUT_FROM:  # plenty of data: calibrate on a held-out fifth instead of refitting k + 1 times
            say(f"model on 80 % of {len(y):,} examples, calibrated on the rest")
            fitted, held = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
            svm.fit(features[fitted], y[fitted])
            scores = np.full((len(y), len(classes)), np.nan)
            scores[held] = _margins_for(svm, features[held], classes)
            folds = 1
        else:
            scores, folds = _out_of_fold_scores(svm, features, y, classes, say)
            say("final model on all examples")
            svm.fit(features, y)
        known = ~np.isnan(scores).any(axis=1)
        temperature = _fit_temperature(scores[known], np.searchsorted(classes, y[known]))
        probabilities = softmax(scores[known] / temperature, axis=1)
        predicted = classes[probabilities.argmax(axis=1)]
        confidence = probabilities.max(axis=1)
        correct = predicted == y[known]
        overall = threshold_for_precision(confidence, correct, target_precision, z=CONFIDENCE_Z)
        per_label = {}
        for label in classes:
            mine = predicted == label
            if mine.sum() >= MIN_PREDICTIONS_FOR_LABEL_THRESHOLD:
                own = threshold_for_precision(confidence[mine], correct[mine], target_precision)
                if own.value > overall.value:  # a label the model gets wrong more often waits for more confidence
                    per_label[str(label)] = own
        report = FitReport(folds=folds, cv_accuracy=float(correct.mean()) if correct.size else 0.0,
                           cv_macro_f1=_macro_f1(y[known], predicted, classes), temperature=temperature,
                           threshold=overall, label_thresholds=per_label)
        model = cls(pipeline, temperature=temperature, threshold=overall.value,
                    label_thresholds={label: t.value for label, t in per_label.items()})
        return model, report

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one row per text, columns in `self.labels` order."""
        if len(texts) == 1:
            scores = self._margins(texts[0])[np.newaxis, :]
        else:  # scikit-learn's vectorised path wins on batches
            scores = self.pipeline.decision_function(texts)
            if scores.ndim == 1:  # two labels: one margin, for the second
                scores = np.column_stack([-scores, scores])
        return softmax(scores / self.temperature, axis=1)

    def _margins(self, text: str) -> np.ndarray:
        """The pipeline's decision function for one text, computed directly.

        Same arithmetic as `pipeline.decision_function` (sublinear TF-IDF, L2 per vectorizer, dot with the
        weights; a test holds them equal), without scikit-learn's per-call validation and sparse-matrix
        building, which cost ten times the arithmetic for a single short text.
        """
        total = self._compiled().intercept.copy()
        for part in self._compiled().parts:
            _, columns, values = _tfidf(part, text)
            if columns:
                total += values @ part.weights[columns]
        return total

    def predict_many(self, texts: Sequence[str], k: int = 3) -> list[Prediction]:
        probabilities = self.probabilities(texts)
        order = np.argsort(-probabilities, axis=1)[:, :k]
        return [Prediction(label=self.labels[row[0]], confidence=float(p[row[0]]),
                           top=[(self.labels[i], float(p[i])) for i in row])
                for row, p in zip(order, probabilities, strict=True)]

    def predict(self, text: str, k: int = 3) -> Prediction:
        return self.predict_many([text], k)[0]

    def threshold_for(self, label: str) -> float:
        """The confidence at which this label auto-routes: the overall one, or a stricter one for a weak label."""
        return self.label_thresholds.get(label, self.threshold)

    def explain(self, text: str, label: str | None = None, k: int = 5) -> list[tuple[str, float]]:
        """The words that pushed most towards `label` (default: the prediction), with their share of the push.

        Character n-gram weights are shared out among the words that contain them, so staff see words,
        not fragments.
        """
        if label is None:
            label = self.predict(text).label
        if label not in self.labels:
            raise InvalidInput(f"the model has no label {label!r}", field="label")
        column = self.labels.index(label)
        unique = {w for w in tokens(normalise(text)) if w.strip("0")}
        score: Counter[str] = Counter()
        for part in self._compiled().parts:
            terms, columns, values = _tfidf(part, text)
            for term, push in zip(terms, values * part.weights[columns, column], strict=True):
                owners = ([w for w in term.split() if w in unique] if part.words
                          else [w for w in unique if term in f" {w} "])
                for owner in owners:
                    score[owner] += float(push) / len(owners)
        positive = [(w, s) for w, s in score.most_common() if s > 0]
        total = sum(s for _, s in positive) or 1.0
        return [(w, round(s / total, 3)) for w, s in positive[:k]]

    def _compiled(self) -> _Compiled:
        if self._fast is None:
            svm: LinearSVC = self.pipeline.named_steps["svm"]
            coef, intercept = svm.coef_, svm.intercept_
            if coef.shape[0] == 1:  # two labels: one margin, for the second
                coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
            parts, offset = [], 0
            for _name, vectorizer in self.pipeline.named_steps["features"].transformer_list:
                size = len(vectorizer.vocabulary_)
                parts.append(_Part(vectorizer.analyzer == "word", vectorizer.build_analyzer(),
                                   vectorizer.vocabulary_, vectorizer.idf_,
                                   np.ascontiguousarray(coef[:, offset:offset + size].T)))
                offset += size
            self._fast = _Compiled(parts, intercept.astype(float))
        return self._fast


def _tfidf(part: _Part, text: str) -> tuple[list[str], list[int], np.ndarray]:
    """A text's known n-grams, their columns and L2-normalised sublinear TF-IDF values, as the vectorizer has them."""
    terms, columns, values = [], [], []
    for term, count in Counter(part.analyzer(text)).items():
        column = part.vocabulary.get(term)
        if column is not None:
            terms.append(term)
            columns.append(column)
            values.append((1.0 + math.log(count)) * part.idf[column])
    vector = np.array(values)
    if columns:
        vector /= math.sqrt(float(vector @ vector))
    return terms, columns, vector


def threshold_for_precision(confidence: np.ndarray, correct: np.ndarray, target: float,
                            z: float = 0.0) -> Threshold:
    """The lowest confidence above which predictions are at least `target` precise, covering the most texts.

    With z > 0 the precision that must reach the target is the Wilson lower bound, not the observed
    share: a threshold chosen on a few hundred examples then still holds on the next few hundred.
    """
    if confidence.size == 0:
        return Threshold(1.0, 0.0, 0.0)
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    taken = np.arange(1, confidence.size + 1)
    good = np.flatnonzero(_wilson_lower(hits, taken, z) >= target)
    if good.size == 0:
        return Threshold(1.0, 0.0, 0.0)
    value = float(confidence[order][good[-1]])
    chosen = confidence >= value
    return Threshold(value, float(correct[chosen].mean()), float(chosen.mean()))


def _wilson_lower(hits: np.ndarray, n: np.ndarray, z: float) -> np.ndarray:
    """Lower end of the Wilson score interval for a proportion (the plain share when z is 0)."""
    share = hits / n
    if z == 0:
        return share
    centre = share + z * z / (2 * n)
    spread = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def _out_of_fold_scores(svm: LinearSVC, features, y: np.ndarray, classes: np.ndarray,  # noqa: ANN001
                        say: Progress) -> tuple[np.ndarray, int]:
    """Each text's margins from an SVM that did not see it; NaN rows where a fold could not be fitted."""
    smallest = min(Counter(y.tolist()).values())
    folds = min(MAX_FOLDS, max(2, smallest))
    scores = np.full((len(y), len(classes)), np.nan)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0) if smallest >= folds else None
    splits = splitter.split(features, y) if splitter else _loose_splits(len(y), folds)
    for number, (train, test) in enumerate(splits, start=1):
        say(f"cross-validation fold {number}/{folds}")
        if len(set(y[train].tolist())) < 2:
            continue
        scores[test] = _margins_for(clone(svm).fit(features[train], y[train]), features[test], classes)
    return scores, folds


def _margins_for(svm: LinearSVC, features, classes: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """Margins in the order of `classes`; a label the model never saw gets less than any other."""
    margins = svm.decision_function(features)
    if margins.ndim == 1:
        margins = np.column_stack([-margins, margins])
    scores = np.full((margins.shape[0], len(classes)), margins.min() - 1.0)
    scores[:, np.searchsorted(classes, svm.classes_)] = margins
    return scores


def _loose_splits(n: int, folds: int):  # noqa: ANN202
    """Shuffled folds for data too small to stratify (a label with a single example)."""
    order = np.random.default_rng(0).permutation(n)
    for part in np.array_split(order, folds):
        yield np.setdiff1d(order, part), part


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the log-loss of the true labels, smoothed by 1 / (n + labels).

    The smoothing is what n examples can vouch for: on data the folds never get wrong, plain log-loss
    drives the temperature to zero and every later text to a certainty of 1.0, so nothing would ever
    wait in triage. 1.0 when there is nothing to fit.
    """
    if scores.shape[0] == 0:
        return 1.0
    n, k = scores.shape
    epsilon = 1.0 / (n + k)
    targets = np.full((n, k), epsilon / (k - 1))
    targets[np.arange(n), truth] = 1.0 - epsilon

    def loss(log_t: float) -> float:
        return float(-(targets * log_softmax(scores / np.exp(log_t), axis=1)).sum(axis=1).mean())

    found = minimize_scalar(loss, bounds=(-6.0, 4.0), method="bounded")
    return float(np.exp(found.x))


def _macro_f1(truth: np.ndarray, predicted: np.ndarray, classes: np.ndarray) -> float:
    if truth.size == 0:
        return 0.0
    return float(f1_score(truth, predicted, labels=classes, average="macro", zero_division=0))
