"""bm_agency_v1: the inspected unit, its party body and its place.

The unit comes from the title (`中共三门县民政局党组关于…`), else from the
narrative (`对县民政局党组进行了…巡察`), else from the issuing body in the
page metadata, else from the closing signature above the date. A unit
written with a bare level (`市民政局`) is given the place that the title,
address or issuer names at that level.
"""
from __future__ import annotations

import functools

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.region import Place, place_of_phone, resolve_place
from bulletin_miner.records import Fact, Status
from bulletin_miner.stages._rules import rule_facts
from bulletin_miner.stages.state import DocState, state

STAGE = "bm_agency_v1"


@functools.lru_cache(maxsize=1)
def _bare_levels() -> dict[str, str]:
    return {str(k): str(v) for k, v in vocab.table("agency", "bare_level").items()}


@Language.factory("bm_agency_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_agency(nlp: Language, name: str):
    return agency


def _unit_mentions(doc: Doc, st: DocState) -> list[Fact]:
    text = st.text
    mentions: list[Fact] = []
    if st.title:
        mentions += rule_facts("agency", text, STAGE, [st.title], key="title")
    mentions += rule_facts("agency", text, STAGE, [(st.header_end, st.intro_end)], key="body")
    for issuer in st.facts_for("issuer"):
        mentions.append(Fact("agency", issuer.value, issuer.start, issuer.end, issuer.text, STAGE, "issuer"))
    if st.signature_lines:
        mentions += rule_facts("agency", text, STAGE, st.signature_lines, key="signature")
    return mentions


def agency(doc: Doc) -> Doc:
    st = state(doc)
    text = st.text
    mentions = _unit_mentions(doc, st)
    units = [m for m in mentions if m.field == "agency"]
    if not units:
        return doc
    unit = units[0]
    body = next((m for m in mentions if m.field == "party_body" and m.rule == unit.rule and m.start >= unit.end), None)
    if body is not None and body.start == unit.end:
        short = vocab.table("agency", "party_body_short").get(body.text)
        st.add(doc, body._replace(value=short, status=Status.INFERRED) if short else body)

    # Places named by strings that name places (never body text): other unit
    # mentions, the title, the issuer, the address.
    evidence: list[tuple[str, int, int]] = [("unit_mention", m.start, m.end) for m in units[1:]]
    if st.title:
        evidence.append(("title", *st.title))
    evidence += [("address", f.start, f.end) for f in st.facts_for("address")]
    phones = [f for f in st.facts_for("phone") if place_of_phone(f.text)]

    name = unit.text
    place = resolve_place(name)
    status = Status.STATED
    decided_by = ("agency", unit.start, unit.end)
    level = _bare_levels().get(name[0])
    if place is None and level:
        for source, s, e in [*evidence, *(("phone_area_code", f.start, f.end) for f in phones)]:
            candidate = place_of_phone(text[s:e]) if source == "phone_area_code" else resolve_place(text[s:e])
            prefix = getattr(candidate, level, None) if candidate else None
            if prefix:
                name = prefix + name[1:]
                place = resolve_place(name)
                status = Status.INFERRED
                decided_by = (source, s, e)
                break
        else:
            st.warnings.append(f"agency: the place of {unit.text!r} is not named elsewhere; kept as written")
    st.add(doc, Fact("agency", name, unit.start, unit.end, unit.text, STAGE, unit.rule, status))
    if place:
        _add_place(doc, st, place, unit, status, decided_by)
        for phone in phones:  # a supervision line in another city is worth a look, not a change
            other = place_of_phone(phone.text)
            if other and other.city and place.city and other.city != place.city:
                st.warnings.append(f"place: phone {phone.text} is a {other.city} number but the unit is in {place.city}")
    return doc


def _add_place(doc: Doc, st: DocState, place: Place, unit: Fact, status: Status, decided_by: tuple[str, int, int]) -> None:
    rule = f"cpca:{place.adcode}"
    for level in ("province", "city", "county"):
        value = getattr(place, level)
        if not value:
            continue
        # The unit's own span stands as evidence; a level it does not write is inferred.
        level_status = status if value in unit.text or status is Status.INFERRED else Status.INFERRED
        st.add(doc, Fact(level, value, unit.start, unit.end, unit.text, STAGE, rule, level_status))
    if place.adcode:
        st.add(doc, Fact("adcode", place.adcode, unit.start, unit.end, unit.text, STAGE, rule, status))
    source, s, e = decided_by
    st.add(doc, Fact("place_evidence", source, s, e, st.text[s:e], STAGE, rule))
