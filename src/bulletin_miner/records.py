"""Facts (a value beside the span it came from) and the records built from them."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

from bulletin_miner.schema import EXTRACTED_COLUMNS, Combine


class Status(str, Enum):
    STATED = "stated"  # the text writes the value
    INFERRED = "inferred"  # completed from context (a carried-over year, a place prefix)


class Exactness(str, Enum):
    EXACT = "exact"
    LOWER_BOUND = "lower_bound"  # 101万余元, 200多人
    APPROXIMATE = "approximate"  # 约, 近


class Fact(NamedTuple):
    """One extracted value with its provenance: where, by which stage and rule.

    A named tuple, not a frozen dataclass: as immutable, and made in a sixth
    of the time (a frozen dataclass sets each of its eleven fields through
    object.__setattr__), for the fifty or so facts of every document.
    """

    field: str
    value: Any
    start: int
    end: int
    text: str
    stage: str
    rule: str
    status: Status = Status.STATED
    exactness: Exactness = Exactness.EXACT
    issue_seq: int | None = None
    measure_seq: int | None = None

    @property
    def canonical(self) -> str:
        """The value as a canonical string (ISO dates, plain decimals)."""
        return canonical(self.value)


def canonical(value: Any) -> str:
    """
    >>> canonical(dt.date(2024, 3, 21)), canonical(Decimal("30034.0000")), canonical(0.96), canonical(16)
    ('2024-03-21', '30034', '0.96', '16')
    """
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        normal = value.normalize()
        return format(normal, "f")
    return str(value)


@dataclass
class DocumentRecord:
    """Everything extracted from one document."""

    doc_id: str
    source_path: str
    text: str
    offset_runs: list[int]  # flat (text start, source start, length) triples
    fields: dict[str, Any]
    facts: list[Fact]
    warnings: list[str] = field(default_factory=list)
    fact_sentences: list[tuple[int, int]] = field(default_factory=list)  # parallel to facts
    issues: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def funds_lower_bound(self) -> bool | None:
        amounts = [f for f in self.facts if f.field == "funds_recovered_cny"]
        if not amounts:
            return None
        return any(f.exactness is not Exactness.EXACT for f in amounts)


_START = operator.attrgetter("start")


def assemble_fields(facts: list[Fact], warnings: list[str], sentence_of: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Combine document-level facts into field values, one policy per field.

    Conflicting mentions of a count or date leave the field empty and say so:
    a wrong number is worse than a gap.

    >>> f = lambda v, s: Fact("issues_total", v, s, s + 2, str(v), "bm_counts_v1", "r")
    >>> w = []
    >>> assemble_fields([f(16, 10), f(16, 90)], w)["issues_total"], w
    (16, [])
    >>> assemble_fields([f(16, 10), f(12, 90)], w)["issues_total"], w
    (None, ['issues_total: mentions disagree (16 at char 10, 12 at char 90); left empty'])
    >>> r = lambda v, s: Fact("rules_established", v, s, s + 1, str(v), "bm_outcomes_v1", "r")
    >>> one_sentence = lambda pos: 0
    >>> assemble_fields([r(5, 10), r(3, 20)], [], one_sentence)["rules_established"]
    8
    """
    by_field: dict[str, list[Fact]] = {}
    for fact in facts:
        by_field.setdefault(fact.field, []).append(fact)
    values: dict[str, Any] = {}
    for column in EXTRACTED_COLUMNS:
        found = by_field.get(column.name, [])
        if len(found) > 1:
            found.sort(key=_START)
        if column.combine is Combine.LIST:
            seen: list[Any] = []
            for fact in found:
                if fact.value not in seen:
                    seen.append(fact.value)
            values[column.name] = seen
        elif not found:
            values[column.name] = None
        elif column.combine is Combine.SUM:
            values[column.name] = sum((Decimal(f.value) for f in found), Decimal(0))
        elif column.combine is Combine.SUM_IN_SENTENCE:
            # an enumeration in one sentence adds up; another sentence restates it
            totals: dict[Any, int] = {}
            for fact in found:
                key = sentence_of(fact.start) if sentence_of else fact.start
                totals[key] = totals.get(key, 0) + int(fact.value)
            distinct = set(totals.values())
            if len(distinct) == 1:
                values[column.name] = distinct.pop()
            else:
                listing = ", ".join(f"{total} in the sentence at char {key[0] if isinstance(key, tuple) else key}" for key, total in totals.items())
                warnings.append(f"{column.name}: sentences disagree ({listing}); left empty")
                values[column.name] = None
        elif column.combine is Combine.FIRST:
            values[column.name] = found[0].value
        else:  # AGREE
            distinct = {f.value for f in found}
            if len(distinct) == 1:
                values[column.name] = found[0].value
            else:
                listing = ", ".join(f"{canonical(f.value)} at char {f.start}" for f in found)
                warnings.append(f"{column.name}: mentions disagree ({listing}); left empty")
                values[column.name] = None
    return values
