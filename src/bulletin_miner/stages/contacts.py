"""bm_contacts_v1: phone, e-mail, postcode and address for supervision.

Bulletins close with a supervision paragraph holding several contacts; when
a document gives contacts in more than one place, the line holding most of
them is taken as that paragraph.
"""

from __future__ import annotations

from collections import Counter

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner.stages._rules import rule_facts
from bulletin_miner.stages.state import state

STAGE = "bm_contacts_v1"


@Language.factory("bm_contacts_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_contacts(nlp: Language, name: str):
    return contacts


def contacts(doc: Doc) -> Doc:
    st = state(doc)
    found = rule_facts("contacts", st.text, STAGE)
    if not found:
        return doc
    per_line = Counter(st.line_span(f.start) for f in found)
    best_line = max(per_line, key=lambda line: (per_line[line], line[0]))
    for field in dict.fromkeys(f.field for f in found):  # document order: output must not depend on hash seeds
        of_field = [f for f in found if f.field == field]
        in_best = [f for f in of_field if st.line_span(f.start) == best_line]
        for fact in in_best or of_field[:1]:
            if fact.field == "address":  # as written, in its own script
                fact = fact._replace(value=st.as_written(fact.start, fact.end))
            st.add(doc, fact)
    return doc
