"""Model files: the fitted pipeline and a JSON card saying what it is, checked before anything is unpickled.

A directory holds `model.joblib` (the scikit-learn pipeline) and `model.json` (format, version, when and on
what it was trained, labels, thresholds, metrics, library versions, and the pipeline file's SHA-256).
scikit-learn pickles are only safe to load in the version that wrote them, so loading compares versions
first and refuses a mismatch with a message that says to retrain.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

import joblib
import numpy
import scipy
import sklearn

from classifier.model import TextClassifier
from core.errors import DomainError

FORMAT = "openredress-classifier/1"
PIPELINE_FILE = "model.joblib"
CARD_FILE = "model.json"


class IncompatibleModel(DomainError):
    status = 500
    code = "incompatible_model"


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "joblib": joblib.__version__}


def save(model: TextClassifier, directory: Path, *, card: dict[str, Any]) -> dict[str, Any]:
    """Write the model and its card into `directory` atomically (a half-written model is never seen)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        joblib.dump(model.pipeline, staging / PIPELINE_FILE, compress=3)
        full = {"format": FORMAT, **card, "labels": model.labels, "temperature": model.temperature,
                "threshold": model.threshold, "label_thresholds": model.label_thresholds,
                "libraries": library_versions(), "pipeline_sha256": _sha256(staging / PIPELINE_FILE)}
        (staging / CARD_FILE).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return full


def read_card(directory: Path) -> dict[str, Any]:
    """The card alone, e.g. to list models without loading them."""
    path = directory / CARD_FILE
    if not path.is_file():
        raise IncompatibleModel(f"{directory} is not a model directory: it has no {CARD_FILE}")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IncompatibleModel(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        found = card.get("format") if isinstance(card, dict) else None
        raise IncompatibleModel(f"{directory} holds a model in format {found!r}; this version reads {FORMAT!r}. "
                                "Retrain it with `redress train`")
    return card


def load(directory: Path) -> tuple[TextClassifier, dict[str, Any]]:
    """The model and its card; refuses another scikit-learn version, a changed file or a card that does not match."""
    card = read_card(directory)
    written = card.get("libraries", {}).get("scikit-learn", "unknown")
    if _minor(written) != _minor(sklearn.__version__):
        raise IncompatibleModel(f"{directory} was trained with scikit-learn {written}; this installation has "
                                f"{sklearn.__version__}, which cannot read it safely. Retrain it with `redress train`")
    path = directory / PIPELINE_FILE
    if not path.is_file() or _sha256(path) != card.get("pipeline_sha256"):
        raise IncompatibleModel(f"{path} is missing or does not match the checksum in {CARD_FILE}; "
                                "the model directory was changed or damaged. Retrain or restore it")
    pipeline = joblib.load(path)
    model = TextClassifier(pipeline, temperature=float(card["temperature"]), threshold=float(card["threshold"]),
                           label_thresholds={str(k): float(v) for k, v in card.get("label_thresholds", {}).items()})
    if model.labels != card.get("labels"):
        raise IncompatibleModel(f"{directory}: the pipeline's labels do not match its card; retrain it")
    return model, card


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
