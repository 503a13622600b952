"""Labelled CSV files in, with a clear error for every way they can be wrong."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInput

MAX_FIELD_CHARS = 100_000
SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    labels: list[str]

    def sha256(self) -> str:
        """A fingerprint of the examples themselves, whatever the file's layout."""
        digest = hashlib.sha256()
        for text, label in zip(self.texts, self.labels, strict=True):
            digest.update(json.dumps([text, label], ensure_ascii=False).encode())
            digest.update(b"\n")
        return digest.hexdigest()


def read_labelled(path: Path, *, text_col: str = "text", label_col: str = "label") -> Labelled:
    """Every row's text and label; refuses a file with empty rows, missing columns or bytes that are not UTF-8."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", field="data")
    csv.field_size_limit(MAX_FIELD_CHARS)
    texts: list[str] = []
    labels: list[str] = []
    empty: list[int] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [c for c in (text_col, label_col) if c not in columns]
            if missing:
                found = ", ".join(columns) if columns else "none (the file is empty)"
                raise InvalidInput(f"{path}: no column {' or '.join(map(repr, missing))}; the columns are {found}. "
                                   "Name them with --text-col and --label-col", field="data")
            for row in reader:
                text = (row.get(text_col) or "").strip()
                label = (row.get(label_col) or "").strip()
                if not text or not label:
                    empty.append(reader.line_num)
                    continue
                texts.append(text)
                labels.append(label)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                           "save it as UTF-8 CSV", field="data") from exc
    except csv.Error as exc:
        raise InvalidInput(f"{path}: not a readable CSV file: {exc}", field="data") from exc
    if empty:
        raise InvalidInput(f"{path}: {len(empty)} row(s) with an empty {text_col!r} or {label_col!r}, at line(s) "
                           f"{_some(empty)}; fill or delete them", field="data")
    if not texts:
        raise InvalidInput(f"{path}: no rows", field="data")
    return Labelled(texts, labels)


def _some(numbers: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:SHOWN_PROBLEMS])
    return shown + (f" and {len(numbers) - SHOWN_PROBLEMS} more" if len(numbers) > SHOWN_PROBLEMS else "")
