"""bm_money_v1: every stated amount recovered, refunded or clawed back.

Each amount is judged by the nearest trigger before it in its clause:
`追回多付资金3.0034万元` counts, `发放低保金6亿元` does not. With no
trigger before it, a recovery verb after it in the clause decides
(`涉及资金3万元已全部追回`).
"""
from __future__ import annotations

import functools

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.money import parse_amount
from bulletin_miner.records import Exactness, Fact
from bulletin_miner.stages._rules import pattern_matches
from bulletin_miner.stages.state import state

STAGE = "bm_money_v1"
FIELD = "funds_recovered_cny"


@functools.lru_cache(maxsize=1)
def _patterns() -> dict[str, regex.Pattern]:
    keys = ("recovered", "spending", "object", "clause_break")
    return {k: vocab.pattern("money", k) for k in keys}


def recovered_amounts(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, rule) of every amount in the region that is money recovered.

    >>> spans = lambda t: [t[s:e] for s, e, _ in recovered_amounts(t)]
    >>> spans("追回多付资金3.0034万元。发放低保金6亿元。")
    ['3.0034万元']
    >>> spans("清退违规发放补贴3万元,投入资金101万余元用于慰问")
    ['3万元']
    >>> spans("涉及资金5000元已全部退还;下拨资金20万元")
    ['5000元']
    """
    p = _patterns()
    end = len(text) if end is None else end
    out = []
    for m in pattern_matches("money", "amount", text, start, end):
        clause_start = _clause_start(text, m.start(), start, p["clause_break"])
        before = _masked(text[clause_start:m.start()], p["object"])
        triggers = [(t.end(), "recovered", t.group()) for t in p["recovered"].finditer(before)]
        triggers += [(t.end(), "spending", t.group()) for t in p["spending"].finditer(before)]
        if triggers:
            _, role, word = max(triggers)
            if role == "recovered":
                out.append((m.start(), m.end(), f"recovered_before:{word}"))
            continue
        clause_end = _clause_end(text, m.end(), end, p["clause_break"])
        after = _masked(text[m.end():clause_end], p["object"])
        first_recovered = p["recovered"].search(after)
        first_spending = p["spending"].search(after)
        if first_recovered and (not first_spending or first_recovered.start() < first_spending.start()):
            out.append((m.start(), m.end(), f"recovered_after:{first_recovered.group()}"))
    return out


def _masked(segment: str, objects: regex.Pattern) -> str:
    return objects.sub(lambda m: "\u2060" * len(m.group()), segment)


def _clause_start(text: str, pos: int, floor: int, breaks: regex.Pattern) -> int:
    i = pos
    while i > floor and not breaks.match(text[i - 1]):
        i -= 1
    return i


def _clause_end(text: str, pos: int, ceiling: int, breaks: regex.Pattern) -> int:
    m = breaks.search(text, pos, ceiling)
    return m.start() if m else ceiling


@Language.factory("bm_money_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_money(nlp: Language, name: str):
    return money


def money(doc: Doc) -> Doc:
    st = state(doc)
    text = st.text
    counted: dict = {}
    for s, e, rule in recovered_amounts(text, st.header_end):
        amount = parse_amount(text[s:e])
        if amount is None:
            continue
        # Bulletins restate an amount (summary, then the measure that recovered
        # it): the same sum twice is counted once, and said so.
        if amount.yuan in counted:
            st.warnings.append(f"{FIELD}: {text[s:e]} at char {s} restates the amount at char {counted[amount.yuan]}; counted once")
            continue
        counted[amount.yuan] = s
        st.add(doc, Fact(FIELD, amount.yuan, s, e, text[s:e], STAGE, rule, exactness=Exactness(amount.exactness)))
    return doc
