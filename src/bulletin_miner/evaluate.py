"""Scoring extracted documents against hand-checked gold files.

A field absent from a gold file is not scored; a field present as null is:
filling it is a false positive. An empty list counts as empty.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass
class Summary:
    """The figures a field test reports: how many scored fields are right, and
    how many filled values are right (a wrong value counts against both)."""

    scored: int  # fields the gold files score (null included)
    right: int  # of those, the ones extracted right (empty where gold is null)
    filled: int  # fields the extractor filled, among the scored
    filled_right: int  # of those, the ones that are right

    @property
    def fields_right(self) -> float:
        return self.right / self.scored if self.scored else 1.0

    @property
    def filled_precision(self) -> float:
        return self.filled_right / self.filled if self.filled else 1.0


def summarize(predicted_by_name: dict[str, dict[str, Any]], gold: dict[str, dict[str, Any]]) -> Summary:
    """Fields right and filled values right over every scored field.

    >>> gold = {"a.txt": {"fields": {"issues_total": 16, "email": None, "phone": "0576-1"}}}
    >>> s = summarize({"a.txt": {"issues_total": 16, "email": "x@y.cn", "phone": None}}, gold)
    >>> (s.scored, s.right, s.filled, s.filled_right)
    (3, 1, 2, 1)
    """
    scored = right = filled = filled_right = 0
    for doc_name, answer in gold.items():
        predicted = predicted_by_name.get(doc_name) or {}
        for name, expected in answer.get("fields", {}).items():
            if name not in SCORED_FIELDS:
                continue
            got = predicted.get(name)
            ok = same_value(got, expected)
            scored += 1
            right += ok
            if not _empty(got):
                filled += 1
                filled_right += ok
    return Summary(scored, right, filled, filled_right)


@dataclass
class RowScore:
    """Problem rows against the gold issues lists: a row is a problem when its
    path is one the gold lists; exact when its title and measures agree too."""

    predicted: int
    gold: int
    by_path: int
    exact: int

    @property
    def precision(self) -> float:
        return self.by_path / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.by_path / self.gold if self.gold else 1.0


def score_rows(predicted: dict[str, list[dict[str, Any]]], gold: dict[str, dict[str, Any]]) -> RowScore:
    """
    >>> gold = {"a.txt": {"issues": [{"path": "二/(一)/1", "title": "t", "n_measures": 2}]}}
    >>> rows = {"a.txt": [{"path": "一/(一)", "title": "x", "n_measures": 0}, {"path": "二/(一)/1", "title": "t", "n_measures": 2}]}
    >>> score_rows(rows, gold)
    RowScore(predicted=2, gold=1, by_path=1, exact=1)
    """
    n_predicted = n_gold = by_path = exact = 0
    for doc_name, answer in gold.items():
        expected = answer.get("issues", [])
        got = predicted.get(doc_name, [])
        n_predicted += len(got)
        n_gold += len(expected)
        paths = {i["path"] for i in expected}
        items = {(i["path"], i["title"], i["n_measures"]) for i in expected}
        by_path += sum(1 for i in got if i["path"] in paths)
        exact += sum(1 for i in got if (i["path"], i["title"], i["n_measures"]) in items)
    return RowScore(n_predicted, n_gold, by_path, exact)


def documents_by_name(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(row["source_path"]).name: row for row in rows}
