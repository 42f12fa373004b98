"""bm_spans_v2: every extracted value as a strict span of the Doc.

The last component. It re-tokenises the Doc at every sentence start and at
both ends of every value, marks the sentence starts, and puts each fact in
`doc.spans["facts"]`, labelled with its field, so spaCy's own tools
(displacy, Span attributes, `doc.sents`) see what the stages found.
"""

from __future__ import annotations

from typing import cast

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc
from thinc.types import Ints2d

from bulletin_miner.stages.state import state
from bulletin_miner.stages.tokenizer import doc_from_boundaries

STAGE = "bm_spans_v2"


@Language.factory("bm_spans_v2", requires=["doc._.bm"], assigns=["doc.spans", "token.is_sent_start"])
def create_spans(nlp: Language, name: str):
    return facts_as_spans


def facts_as_spans(doc: Doc) -> Doc:
    st = state(doc)
    facts = [f for f in st.facts if f.end > f.start]
    boundaries = set(st.sentence_starts)  # every line start is one
    for fact in facts:
        boundaries.add(fact.start)
        boundaries.add(fact.end)
    cuts = sorted(b for b in boundaries if 0 < b < st.text_length)
    spanned = doc_from_boundaries(doc.vocab, st.text, cuts)
    spanned._.bm = st
    if len(spanned):
        token_at = {cut: i + 1 for i, cut in enumerate(cuts)}  # token i+1 starts at cuts[i]
        # one array write: setting token.is_sent_start one by one re-checks the Doc each time
        flags = numpy.full((len(spanned), 1), -1, dtype="int64")
        flags[[0, *(token_at[s] for s in st.sentence_starts if s in token_at)], 0] = 1
        spanned.from_array([SENT_START], cast(Ints2d, flags.astype("uint64")))  # spaCy stores -1 as uint64
    spans = []
    for fact in facts:
        span = spanned.char_span(fact.start, fact.end, label=fact.field, alignment_mode="strict")
        if span is None:  # cannot happen: both ends are token boundaries; say so if it ever does
            raise ValueError(f"{fact.field} at {fact.start}:{fact.end} is not a strict span of the Doc")
        spans.append(span)
    spanned.spans["facts"] = spans
    return spanned
