"""Inspection cases: the documents about one inspection of one unit, linked.

An inspection of a unit leaves several documents: the news of its launch,
the news of its feedback, the unit's rectification plan, one or more
bulletins of its progress, a later 回头看. `link_cases` links the documents of
a run into one row per case (cases.parquet), from what each document states:

- the unit: a document about one unit names it (`agency`, with its place);
  news or a summary about several names each (`units_listed`), and links to
  each unit's case;
- the inspection: inspector, round, kind, the inspection period and the
  feedback date must not disagree where two documents both state them, and
  a link needs more than the unit: a stated value the two share, or a
  bulletin published within LINK_WINDOW_DAYS after the case's feedback;
- a document that fits two cases joins neither (it is a case of its own,
  with a note naming both): two inspections of one unit are never merged on
  a guess.

Every link says what matched. A rule book, a work summary or a page of
another kind is about no one inspection and joins no case; nor does news
that names no unit. A bulletin whose unit could not be read is a case of
its own (one inspection, counted once, linked to nothing).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bulletin_miner import vocab
from bulletin_miner.ingest.textnorm import to_simplified
from bulletin_miner.normalize.region import resolve_place
from bulletin_miner.normalize.units import admin_level_of, sector_of

# Roles, by document type (a feedback notice with no feedback date is a launch).
ROLE_OF_TYPE = {
    "rectification_bulletin": "bulletin",
    "feedback_notice": "feedback",
    "work_plan": "plan",
    "round_summary": "summary",
}
# What two documents of one inspection state alike, where both state it.
INSPECTION_KEYS = ("inspector", "inspection_round", "inspection_kind", "inspection_start", "inspection_end", "feedback_date")
# Keys that must not disagree but, shared, say nothing of one inspection (巡视 is every 巡视).
WEAK_KEYS = ("inspection_kind",)
# (a bulletin or plan of a 回头看 is a follow-up: resources/inspection.yml, follow_up_mode)
# A bulletin published this long after a feedback is taken to answer it when
# nothing else they state says so (units publish within months; a year is long).
LINK_WINDOW_DAYS = 540


@dataclass
class Case:
    unit: str | None
    province: str | None
    city: str | None
    county: str | None
    values: dict[str, Any] = field(default_factory=dict)  # the inspection's stated keys
    roles: dict[str, list[str]] = field(default_factory=dict)  # role -> doc_ids
    links: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)

    def add(self, doc: dict, role: str, matched: list[str]) -> None:
        self.roles.setdefault(role, []).append(doc["doc_id"])
        self.documents.append(doc)
        for key in INSPECTION_KEYS:
            # the first value stated, or one that says more (中央第二巡视组 after 中央巡视组)
            if doc.get(key) is not None and (
                self.values.get(key) is None or (agree(key, doc[key], doc[key]) and agree(key, self.values[key], self.values[key]) is None)
            ):
                self.values[key] = doc[key]
        self.links.append(f"{doc['doc_id']} {role}: {', '.join(matched)}")


def role_of(doc: dict) -> str | None:
    role = ROLE_OF_TYPE.get(doc.get("doc_type") or "")
    if role == "feedback" and doc.get("feedback_date") is None:
        return "launch"
    if role in ("bulletin", "plan") and vocab.load("inspection")["follow_up_mode"] in (doc.get("inspection_modes") or []):
        return "follow_up"
    return role


# The order documents are linked in: as an inspection unfolds (a bulletin
# after the feedback it answers, whatever dates each states).
ROLE_ORDER = {"launch": 0, "feedback": 1, "summary": 2, "plan": 3, "bulletin": 4, "follow_up": 5}
ANCHORS = {
    "launch": ("inspection_start", "published_date", "feedback_date"),
    "feedback": ("feedback_date", "published_date", "inspection_end"),
    "summary": ("feedback_date", "published_date", "inspection_end"),
}
LATER_ANCHORS = ("published_date", "feedback_date", "inspection_end", "inspection_start")


def _order(doc: dict) -> tuple:
    role = role_of(doc) or ""
    anchor = next((doc[k] for k in ANCHORS.get(role, LATER_ANCHORS) if doc.get(k) is not None), dt.date.max)
    return anchor, ROLE_ORDER.get(role, 9), doc["doc_id"]


def _same_place(case: Case, places: dict) -> bool:
    """No level of the two places disagrees."""
    for level in ("province", "city", "county"):  # a loop, not all(): called for each case a unit's document might fit
        mine, theirs = getattr(case, level), places.get(level)
        if mine is not None and theirs is not None and mine != theirs:
            return False
    return True


def _fitting(cases: list[Case], doc: dict, role: str, places: dict) -> list[tuple[Case, list[str]]]:
    """The cases a document fits, in the order they were made, and what it
    shares with each; at most two, since two already make it ambiguous (a
    unit with thousands of look-alike documents is then linked in linear time)."""
    found = []
    for case in cases:
        if _same_place(case, places) and (matched := _matches(case, doc, role)) is not None:
            found.append((case, matched))
            if len(found) == 2:
                break
    return found


def _matches(case: Case, doc: dict, role: str) -> list[str] | None:
    """What a document shares with a case (None: it contradicts it, or shares nothing but the unit)."""
    matched = []
    for key in INSPECTION_KEYS:
        same = agree(key, doc.get(key), case.values.get(key))
        if same is False:
            return None
        if same and key not in WEAK_KEYS:
            matched.append(key)
    feedback = case.values.get("feedback_date")
    published = doc.get("published_date")
    if role in ("bulletin", "plan", "follow_up") and feedback is not None and published is not None:
        days = (published - feedback).days
        if days < 0 or (role != "follow_up" and days > LINK_WINDOW_DAYS and not matched):
            return None
        if not matched:
            matched.append(f"published {days} days after the feedback")
    return matched or None


def agree(key: str, mine: Any, theirs: Any) -> bool | None:
    """Whether two documents state one value for a key of their inspection:
    True, False (they disagree), or None (one does not state it, or says too
    little to tell: 中央巡视组 is every central team)."""
    if mine is None or theirs is None:
        return None
    if key == "inspector":
        mine, theirs = _pattern("team_ordinal", mine), _pattern("team_ordinal", theirs)
        return None if mine is None or theirs is None else mine == theirs
    if key == "inspection_round":
        ordinals = _pattern("round_ordinal", mine), _pattern("round_ordinal", theirs)
        terms = _pattern("round_term", mine), _pattern("round_term", theirs)
        if None in ordinals:
            return None
        return ordinals[0] == ordinals[1] and (None in terms or terms[0] == terms[1])
    return mine == theirs


@functools.lru_cache(maxsize=8192)
def _pattern(key: str, value: str) -> str | None:
    """The part of a written value the inspection resource's pattern finds (in
    simplified script). Remembered: a unit's documents are compared with each
    of its cases, and the same few team and round names were converted and
    searched half a million times over 10,000 documents (a third of linking)."""
    found = vocab.pattern("inspection", key).search(to_simplified(value))
    return found.group() if found else None


def listed_unit(listed: str, doc: dict) -> tuple[str, dict[str, str | None]] | None:
    """The unit a document lists, named in full with its place (县民政局 in
    news of 三门县's round: 三门县民政局), or None when the list does not say
    where it is (财政金融局): such a name is the document's alone."""
    level = vocab.load("agency")["bare_level"].get(listed[:1])
    if level and doc.get(level):
        places = {k: doc.get(k) for k in ("province", "city", "county")}
        if level != "county":
            places["county"] = None
        if level == "province":
            places["city"] = None
        return doc[level] + listed[1:], places
    if vocab.pattern("agency", "central_body").search(listed):  # 科技部, 中国第一汽车集团有限公司: one of its name in the country
        return listed, {"province": None, "city": None, "county": None}
    place = resolve_place(listed)
    if place is not None:
        return listed, {"province": place.province, "city": place.city, "county": place.county}
    return None


def link_cases(documents: Iterable[dict]) -> list[dict]:
    """The cases.parquet rows of a run's documents (rows of documents.parquet)."""
    docs = sorted(((d, role) for d in documents if (role := role_of(d)) is not None), key=lambda pair: _order(pair[0]))
    cases: list[Case] = []
    by_unit: dict[str, list[Case]] = {}

    def place(doc: dict, role: str, unit: str, new_case: Case) -> None:
        candidates = _fitting(by_unit.get(unit, []), doc, role, doc)
        if role == "follow_up" and not candidates:  # a 回头看 follows the unit's latest inspection before it
            earlier = [c for c in by_unit.get(unit, []) if _same_place(c, doc)]
            if earlier:
                candidates = [(earlier[-1], ["the unit's inspection before this follow-up"])]
        if len(candidates) == 1:
            case, matched = candidates[0]
            case.add(doc, role, [f"agency {unit}", *matched])
            return
        if len(candidates) > 1:
            new_case.notes.append(f"{doc['doc_id']} fits more than one case of {unit}; not merged with any")
        new_case.add(doc, role, [f"agency {unit}"])
        cases.append(new_case)
        by_unit.setdefault(unit, []).append(new_case)

    for doc, role in docs:
        if doc.get("agency"):
            unit = doc["agency"]
            place(doc, role, unit, Case(unit, doc.get("province"), doc.get("city"), doc.get("county")))
            continue
        if role in ("bulletin", "plan", "follow_up"):  # a unit's own report, its name unread: one inspection, linked to nothing
            case = Case(None, doc.get("province"), doc.get("city"), doc.get("county"))
            case.add(doc, role, ["its unit could not be read: linked to nothing"])
            cases.append(case)
            continue
        for listed in doc.get("units_listed") or []:
            named = listed_unit(listed, doc)
            if named is None:  # where it is the list does not say: a case of this document's own
                case = Case(listed, None, None, None)
                case.add(doc, role, [f"lists {listed} (no place: linked to nothing else)"])
                cases.append(case)
                continue
            unit, places = named
            fitting = _fitting(by_unit.get(unit, []), doc, role, places)
            if len(fitting) == 1:
                case, matched = fitting[0]
                case.add(doc, role, [f"lists {listed} ({unit})", *matched])
                continue
            case = Case(unit, places["province"], places["city"], places["county"])
            if fitting:
                case.notes.append(f"{doc['doc_id']} lists {listed}, which fits more than one case of {unit}; not merged with any")
            case.add(doc, role, [f"lists {listed} ({unit})"])
            cases.append(case)
            by_unit.setdefault(unit, []).append(case)
    return [_row(case) for case in cases]


def _row(case: Case) -> dict:
    bulletins = sorted(
        (d for d in case.documents if case.roles.get("bulletin") and d["doc_id"] in case.roles["bulletin"]),
        key=lambda d: (d.get("published_date") or dt.date.max, d["doc_id"]),
    )
    feedback = case.values.get("feedback_date")
    first = next((d.get("published_date") for d in bulletins if d.get("published_date")), None)
    modes: list[str] = []
    for doc in case.documents:
        modes += [m for m in doc.get("inspection_modes") or [] if m not in modes]
    first_doc = min(case.documents, key=lambda d: d["doc_id"])["doc_id"]
    return {
        "case_id": hashlib.sha256(f"{case.unit}\x1f{first_doc}".encode()).hexdigest()[:16],
        "agency": case.unit,
        "province": case.province,
        "city": case.city,
        "county": case.county,
        "admin_level": admin_level_of(case.unit, case.county, case.city, case.province) if case.unit else None,
        "sector": sector_of(case.unit) if case.unit else None,
        **{key: case.values.get(key) for key in INSPECTION_KEYS},
        "inspection_modes": modes,
        "launch_doc_ids": case.roles.get("launch", []),
        "feedback_doc_ids": case.roles.get("feedback", []),
        "plan_doc_ids": case.roles.get("plan", []),
        "bulletin_doc_ids": [d["doc_id"] for d in bulletins],
        "follow_up_doc_ids": case.roles.get("follow_up", []),
        "summary_doc_ids": case.roles.get("summary", []),
        "documents": len(case.documents),
        "bulletin_published_dates": [d.get("published_date") for d in bulletins],
        "days_feedback_to_first_bulletin": (first - feedback).days if first and feedback else None,
        "issues_total_by_bulletin": [d.get("issues_total") for d in bulletins],
        "issues_completed_by_bulletin": [d.get("issues_completed") for d in bulletins],
        "latest_bulletin_doc_id": bulletins[-1]["doc_id"] if bulletins else None,
        "links": case.links,
        "notes": case.notes,
    }
