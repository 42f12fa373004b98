"""bm_outcomes_v1: rules made, people talked to, people disciplined."""

from __future__ import annotations

from spacy.language import Language

from bulletin_miner.stages._rules import body_rules_component

STAGE = "bm_outcomes_v1"

# The stage is its resource: every rule of resources/outcomes.yml, over the body.
outcomes = body_rules_component("outcomes", STAGE)


@Language.factory(STAGE, requires=["doc._.bm"], assigns=["doc._.bm"])
def create_outcomes(nlp: Language, name: str):
    return outcomes
