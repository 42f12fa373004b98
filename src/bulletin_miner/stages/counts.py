"""bm_counts_v1: problems fed back, refined, completed, in progress, long-term; measures."""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner.stages._rules import rule_facts
from bulletin_miner.stages.state import state

STAGE = "bm_counts_v1"


@Language.factory("bm_counts_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_counts(nlp: Language, name: str):
    return counts


def counts(doc: Doc) -> Doc:
    st = state(doc)
    for fact in rule_facts("counts", st.text, STAGE, [(st.header_end, len(st.text))]):
        st.add(doc, fact)
    return doc
