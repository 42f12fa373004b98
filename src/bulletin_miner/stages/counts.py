"""bm_counts_v1: problems fed back, refined, completed, in progress, long-term; measures."""

from __future__ import annotations

from spacy.language import Language

from bulletin_miner.stages._rules import body_rules_component

STAGE = "bm_counts_v1"

# The stage is its resource: every rule of resources/counts.yml, over the body.
counts = body_rules_component("counts", STAGE)


@Language.factory(STAGE, requires=["doc._.bm"], assigns=["doc._.bm"])
def create_counts(nlp: Language, name: str):
    return counts
