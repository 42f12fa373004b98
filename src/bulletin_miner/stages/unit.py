"""bm_unit_v1: the inspected unit's administrative level and sector, from its name."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner.normalize.units import admin_level_of, sector_of
from bulletin_miner.records import Fact, Status
from bulletin_miner.stages.state import state

STAGE = "bm_unit_v1"


@Language.factory("bm_unit_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_unit(nlp: Language, name: str):
    return unit


def unit(doc: Doc) -> Doc:
    st = state(doc)
    agency = next(iter(st.facts_for("agency")), None)
    if agency is None:
        return doc
    name = str(agency.value)
    place = {level: next((f.value for f in st.facts_for(level)), None) for level in ("province", "city", "county")}
    level = admin_level_of(name, place["county"], place["city"], place["province"])
    inferred = Status.INFERRED
    if level:
        st.add(doc, Fact("admin_level", level, agency.start, agency.end, agency.text, STAGE, "admin_level", inferred))
    sector = sector_of(name)
    if sector:
        st.add(doc, Fact("sector", sector, agency.start, agency.end, agency.text, STAGE, "sector", inferred))
    return doc
