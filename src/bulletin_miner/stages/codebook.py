"""bm_codebook_v1: what kind of problem each listed problem is, and what each measure does.

The codebook is data (resources/codebook.yml, explained in docs/codebook.md).
A problem's category is read from its own title, then the heading above it,
then its aspect heading: the first of them holding a cue decides, by its
longest cue (then the first written). A measure's kind is read from its
opening phrase, then the rest of its text, alike. Each decision is a fact
(issue_category, measure_kind) whose span is the cue and whose rule says
where it was read; nothing a cue does not decide gets a value.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.records import Fact
from bulletin_miner.stages._rules import WordFinder
from bulletin_miner.stages.state import state

STAGE = "bm_codebook_v1"
SHORT_OPENING = 16  # characters: an opening phrase, not a sentence of what was done
SENTENCE_STOPS = ("\u3002", "\uff01", "\uff1f", "\n")  # 。！？ and a line's end


@dataclass(frozen=True)
class Entry:
    """A category or a kind: its id, Chinese name, definition, cues and examples."""

    id: str
    name: str
    definition: str
    cues: tuple[str, ...]
    examples: tuple[str, ...]


class Decision(NamedTuple):
    entry: str  # the category's or kind's id
    where: str  # title, heading, aspect; label, text
    cue: str
    start: int
    end: int

    def fact(self, field: str, decided: str, issue_seq: int, measure_seq: int | None = None) -> Fact:
        """The decision as a fact: its span the cue, its rule where it was read (category_from_title)."""
        return Fact(
            field, self.entry, self.start, self.end, self.cue, STAGE, f"{decided}_from_{self.where}", issue_seq=issue_seq, measure_seq=measure_seq
        )


class Scheme:
    """One list of the codebook (categories or kinds), ready to decide with."""

    def __init__(self, entries: Iterable[Entry]):
        self.entries = {e.id: e for e in entries}
        self.entry_of_cue = {cue: e.id for e in self.entries.values() for cue in e.cues}
        self.finder = WordFinder(self.entry_of_cue)

    def decide(self, text: str, regions: Iterable[tuple[str, tuple[int, int] | None]]) -> Decision | None:
        """The decision of the first region (in order) that holds a cue: its
        longest cue, then the first written. None when no region holds one."""
        for where, span in regions:
            if span is None or span[0] >= span[1]:
                continue
            found = self.finder.hits(text, *span)
            if found:
                cue, s, e = min(found, key=lambda hit: (-len(hit[0]), hit[1]))
                return Decision(self.entry_of_cue[cue], where, cue, s, e)
        return None

    def decide_words(self, words: str) -> str | None:
        """The entry a phrase on its own is decided as (for examples and tests)."""
        decision = self.decide(words, [("text", (0, len(words)))])
        return decision.entry if decision else None


@dataclass(frozen=True)
class Codebook:
    categories: Scheme
    kinds: Scheme


@functools.lru_cache(maxsize=1)
def codebook() -> Codebook:
    """The codebook of resources/codebook.yml, checked: ids unique, every
    entry with a name, a definition and cues, no cue in two entries of a list."""
    data = vocab.load("codebook")

    def scheme(key: str) -> Scheme:
        entries: list[Entry] = []
        owner: dict[str, str] = {}  # cue -> the entry holding it
        for raw in data.get(key) or []:
            entry = Entry(
                str(raw.get("id", "")),
                str(raw.get("name", "")),
                str(raw.get("definition", "")),
                tuple(str(c).strip() for c in raw.get("cues") or []),
                tuple(str(x) for x in raw.get("examples") or []),
            )
            if not (entry.id and entry.name and entry.definition and entry.cues) or any(not c for c in entry.cues):
                raise _bad(f"{key}: entry {entry.id or '?'} needs an id, a name, a definition and cues (no empty one)")
            if entry.id in {e.id for e in entries}:
                raise _bad(f"{key}: {entry.id} is listed twice")
            for cue in entry.cues:
                if owner.setdefault(cue, entry.id) != entry.id:
                    raise _bad(f"{key}: the cue {cue} is in both {owner[cue]} and {entry.id}")
            entries.append(entry)
        if not entries:
            raise _bad(f"{key}: the list is empty")
        return Scheme(entries)

    return Codebook(scheme("categories"), scheme("kinds"))


def _bad(message: str) -> BulletinError:
    return BulletinError(ErrorKind.RESOURCE, message, path="resources/codebook.yml", stage="load")


def classify(doc: Doc) -> Doc:
    st = state(doc)
    outline = st.outline
    if outline is None or not outline.issues:
        return doc
    book, text = codebook(), st.text
    for issue in outline.issues:
        decision = book.categories.decide(
            text,
            [
                ("title", (issue["title_start"], issue["title_end"])),
                ("heading", issue.get("_heading_at")),
                ("aspect", issue.get("_aspect_at")),
            ],
        )
        issue["category"] = decision.entry if decision else None
        if decision:
            st.add(doc, decision.fact("issue_category", "category", issue_seq=issue["seq"]))
    for measure in outline.measures:
        start, end = measure["char_start"], measure["char_end"]
        label = measure["label"]
        label_at = text.find(label, start, end) if label else -1
        opening = (label_at, label_at + len(label)) if label_at >= 0 else None
        decision = book.kinds.decide(text, [("label", opening), ("text", (start, _first_sentence_end(text, start, end)))])
        measure["kind"] = decision.entry if decision else None
        if decision:
            st.add(doc, decision.fact("measure_kind", "kind", issue_seq=measure["issue_seq"], measure_seq=measure["measure_seq"]))
    return doc


def _first_sentence_end(text: str, start: int, end: int) -> int:
    """Where a measure's first sentence ends: what it does is said there; the
    sentences after it tell how, and name every kind of thing on the way."""
    first = _sentence_end(text, start, end)
    # a sentence that is only the opening phrase (加强宣传力度。) says what in the next
    return _sentence_end(text, first, end) if first - start <= SHORT_OPENING else first


def _sentence_end(text: str, start: int, end: int) -> int:
    stops = [i for i in (text.find(stop, start, end) for stop in SENTENCE_STOPS) if i >= 0]
    return min(stops) + 1 if stops else end


@Language.factory(STAGE, requires=["doc._.bm"], assigns=["doc._.bm"])
def create_codebook(nlp: Language, name: str):
    return classify


def codebook_page() -> str:
    """docs/codebook.md, generated from resources/codebook.yml."""
    book = codebook()
    lines = [
        "# Codebook: problem categories and measure kinds",
        "",
        "Generated from `src/bulletin_miner/resources/codebook.yml` by `bulletin-miner dictionary`; do not edit by hand",
        "(a test fails when this file is stale). How well it agrees with hand labels is measured in",
        "[fieldtest.md](fieldtest.md#the-codebook-against-hand-labels).",
        "",
        "**How a problem's category is decided** (`issues.category`): the cues below are looked for in the",
        "problem's own title, then in the heading directly above it (`issues.heading`), then in its aspect",
        "heading (`issues.aspect`). The first of these that holds any cue decides; where it holds cues of",
        "several categories, the longest cue wins (the more specific wording), then the one written first.",
        "A problem no cue decides stays uncategorised (empty): there is no default. The decision is a row of",
        "`facts` (`field` = `issue_category`, `issue_seq` = the problem): its span is the cue, its `rule`",
        "says where it was read (`category_from_title`, `_heading`, `_aspect`).",
        "",
        "**How a measure's kind is decided** (`measures.kind`): alike, from the measure's opening phrase",
        "(`measures.label`), then the rest of its text; `facts` rows with `field` = `measure_kind`",
        "(`kind_from_label`, `kind_from_text`).",
        "",
    ]
    for title, scheme in (("Problem categories (`issues.category`)", book.categories), ("Measure kinds (`measures.kind`)", book.kinds)):
        lines += [f"## {title}", "", "| id | name | what belongs here | cues | examples |", "|---|---|---|---|---|"]
        for entry in scheme.entries.values():
            lines.append(f"| `{entry.id}` | {entry.name} | {entry.definition} | {'、'.join(entry.cues)} | {'；'.join(entry.examples)} |")
        lines.append("")
    return "\n".join(lines)
