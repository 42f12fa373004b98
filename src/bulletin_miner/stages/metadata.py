"""bm_metadata_v1: publication date, document number, source site, issuing body."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.dates import parse_partial
from bulletin_miner.records import Fact
from bulletin_miner.stages._rules import parse_field_value, rule_facts
from bulletin_miner.stages.state import state

STAGE = "bm_metadata_v1"


def _parse(field: str, text: str) -> object:
    if field == "published_date":
        partial = parse_partial(text)
        return partial.to_date() if partial else None
    return parse_field_value(field, text)


@Language.factory("bm_metadata_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_metadata(nlp: Language, name: str):
    return metadata


def metadata(doc: Doc) -> Doc:
    st = state(doc)
    for fact in rule_facts("metadata", st.text, STAGE, parse=_parse):
        if fact.field == "signer":  # not a field: where the agency stage may find the unit
            st.signature_lines.append((fact.start, fact.end))
            continue
        if fact.field == "doc_number" and fact.rule == "standalone_doc_number" and fact.start > max(st.header_end, 400):
            continue  # a bare number deep in the body cites another document
        st.add(doc, fact)
    _date_lines(doc)
    return doc


def _date_lines(doc: Doc) -> None:
    """A bare date line in the page's header (`2023-06-14 10:21:37`, `文摘
    2023-04-03 08:45 广西`): where pages print the publication date without
    a label. Only above the body, so a dated line in the text is no such date."""
    st = state(doc)
    pattern = vocab.pattern("metadata", "date_line")
    for s, e in st.lines:
        if s >= st.header_end:
            break
        m = pattern.match(st.text, s, e)
        if m:
            ds, de = m.span("published_date")
            value = _parse("published_date", st.text[ds:de])
            if value is not None:
                st.add(doc, Fact("published_date", value, ds, de, st.text[ds:de], STAGE, "date_line"))
