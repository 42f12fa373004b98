"""bm_outcomes_v1: rules made, people talked to, people disciplined."""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner.stages._rules import rule_facts
from bulletin_miner.stages.state import state

STAGE = "bm_outcomes_v1"


@Language.factory("bm_outcomes_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_outcomes(nlp: Language, name: str):
    return outcomes


def outcomes(doc: Doc) -> Doc:
    st = state(doc)
    for fact in rule_facts("outcomes", st.text, STAGE, [(st.header_end, len(st.text))]):
        st.add(doc, fact)
    return doc
