"""Scoring extracted documents against hand-checked gold files.

A field absent from a gold file is not scored; a field present as null is:
filling it is a false positive. An empty list counts as empty.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from bulletin_miner.schema import DOCUMENT_FIELDS

SCORED_FIELDS = [c.name for c in DOCUMENT_FIELDS]


@dataclass
class FieldScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return len(list(value)) == 0
    return False


def same_value(predicted: Any, gold: Any) -> bool:
    """Equality as the gold files mean it (dates as ISO strings, floats to 1e-6).

    >>> same_value(dt.date(2024, 3, 21), "2024-03-21"), same_value(30034.0, 30034), same_value(["专项"], ["专项"])
    (True, True, True)
    """
    if _empty(predicted) or _empty(gold):
        return _empty(predicted) and _empty(gold)
    if isinstance(predicted, dt.date):
        return predicted.isoformat() == str(gold)
    if hasattr(predicted, "tolist"):
        predicted = predicted.tolist()
    if isinstance(gold, list):
        return sorted(map(str, predicted)) == sorted(map(str, gold))
    if isinstance(gold, (int, float)) and not isinstance(gold, bool):
        try:
            return math.isclose(float(predicted), float(gold), rel_tol=1e-9, abs_tol=1e-6)
        except (TypeError, ValueError):
            return False
    return str(predicted) == str(gold)


def load_gold(gold_dir: Path) -> dict[str, dict[str, Any]]:
    """Gold files by the document file name they describe."""
    out = {}
    for path in sorted(Path(gold_dir).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data["document"]] = data
    return out


def score(predicted_by_name: dict[str, dict[str, Any]], gold: dict[str, dict[str, Any]]) -> dict[str, FieldScore]:
    """Per-field scores of predicted documents (by file name) against gold."""
    scores = {name: FieldScore() for name in SCORED_FIELDS}
    for doc_name, answer in gold.items():
        predicted = predicted_by_name.get(doc_name)
        for name, expected in answer.get("fields", {}).items():
            if name not in scores:
                continue
            got = predicted.get(name) if predicted else None
            s = scores[name]
            if same_value(got, expected):
                if not _empty(expected):
                    s.tp += 1
                continue
            if not _empty(got):
                s.fp += 1
            if not _empty(expected):
                s.fn += 1
            s.errors.append(f"{doc_name}: got {got!r}, gold {expected!r}")
    return scores


def score_issues(predicted: dict[str, list[dict[str, Any]]], gold: dict[str, dict[str, Any]]) -> tuple[int, int, list[str]]:
    """(matching items, gold items, differences) for the issues lists (path, title, n_measures)."""
    matched, total, diffs = 0, 0, []
    for doc_name, answer in gold.items():
        expected = [(i["path"], i["title"], i["n_measures"]) for i in answer.get("issues", [])]
        got = [(i["path"], i["title"], i["n_measures"]) for i in predicted.get(doc_name, [])]
        total += len(expected)
        matched += sum(1 for item in expected if item in got)
        for item in expected:
            if item not in got:
                diffs.append(f"{doc_name}: missing {item}")
        for item in got:
            if item not in expected:
                diffs.append(f"{doc_name}: extra {item}")
    return matched, total, diffs


def documents_by_name(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(row["source_path"]).name: row for row in rows}
