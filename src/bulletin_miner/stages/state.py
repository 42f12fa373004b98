"""What the stages share about one document: its layout and the facts found so far.

It lives on the Doc as `doc._.bm`. Stages add facts here and read earlier
stages' facts; none re-matches another field's text.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc

from bulletin_miner.ingest.decode import UNREADABLE
from bulletin_miner.records import Fact

if not Doc.has_extension("bm"):
    Doc.set_extension("bm", default=None)


@dataclass
class DocState:
    # spaCy rebuilds `doc.text` from its tokens on every access (O(n)): the
    # stages read this copy instead, set once when the state is made.
    text: str = ""
    # the text in its own script where it was read as simplified (else ""):
    # values quoted as written (the title) are taken from it, same offsets
    written: str = ""
    source_path: str = ""
    facts: list[Fact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)
    sentence_starts: list[int] = field(default_factory=list)
    title: tuple[int, int] | None = None
    header_end: int = 0  # where the body starts (after title and metadata lines)
    intro_end: int = 0  # end of the opening narrative (before the outline starts)
    doc_type: str | None = None
    inspection_sentences: list[tuple[int, int]] = field(default_factory=list)
    signature_lines: list[tuple[int, int]] = field(default_factory=list)  # the signer above a closing date
    outline: Any = None  # set by bm.outline.v1
    text_length: int = 0
    # U+FFFD stands for a character nobody can read (undecodable bytes, or a
    # page scraped so): a figure or date beside one may have lost a digit or
    # a unit to it (３6 read as �6), so such values are left out.
    unreadable: bool = field(init=False)

    def __post_init__(self) -> None:
        self.unreadable = UNREADABLE in self.text

    def add(self, doc: Doc, fact: Fact) -> None:
        # Spans must be exact: what a fact says it read is what the text holds.
        if self.text[fact.start : fact.end] != fact.text:
            raise ValueError(f"fact {fact.field} span {fact.start}:{fact.end} does not hold {fact.text!r}")
        if self.unreadable and not isinstance(fact.value, str) and UNREADABLE in self.text[max(fact.start - 1, 0) : fact.end + 1]:
            self.warnings.append(f"{fact.field}: {fact.text!r} is beside an unreadable character (U+FFFD); left out")
            return
        self.facts.append(fact)

    def as_written(self, start: int, end: int) -> str:
        """The text of a span in the script it was written in (a value quoted as
        written: a title, a round, an address), where the text was read as simplified."""
        return (self.written or self.text)[start:end]

    def is_one_of(self, doc_types: list[str]) -> bool:
        """Whether this document's type is one a stage applies to."""
        return self.doc_type in doc_types

    def facts_for(self, name: str) -> list[Fact]:
        return [f for f in self.facts if f.field == name]

    def sentence_span(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.sentence_starts, pos) - 1
        start = self.sentence_starts[i] if i >= 0 else 0
        end = self.sentence_starts[i + 1] if i + 1 < len(self.sentence_starts) else self.text_length
        return start, end

    def line_span(self, pos: int) -> tuple[int, int]:
        starts = [s for s, _ in self.lines]
        i = bisect.bisect_right(starts, pos) - 1
        return self.lines[max(i, 0)] if self.lines else (0, self.text_length)


def state(doc: Doc) -> DocState:
    current = doc._.bm
    if current is None:
        text = doc.text
        current = DocState(text=text, text_length=len(text))
        doc._.bm = current
    return current
