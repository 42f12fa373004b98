"""bm_spans_v1: every extracted value as a strict span of the Doc.

The last component: it puts each fact in `doc.spans["facts"]`, labelled with
its field, so spaCy's own tools (displacy, Span attributes) see what the
stages found. With one token per character every span is strict.
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner.stages.state import state

STAGE = "bm_spans_v1"


@Language.factory("bm_spans_v1", requires=["doc._.bm"], assigns=["doc.spans"])
def create_spans(nlp: Language, name: str):
    return facts_as_spans


def facts_as_spans(doc: Doc) -> Doc:
    spans = []
    for fact in state(doc).facts:
        if fact.end > fact.start:
            span = doc.char_span(fact.start, fact.end, label=fact.field, alignment_mode="strict")
            if span is None:  # cannot happen with one token per character; say so if it ever does
                raise ValueError(f"{fact.field} at {fact.start}:{fact.end} is not a strict span of the Doc")
            spans.append(span)
    doc.spans["facts"] = spans
    return doc
