"""bm_money_v1: every stated amount recovered, refunded or clawed back.

Each amount is judged by the nearest trigger before it in its clause:
`追回多付资金3.0034万元` counts, `发放低保金6亿元` does not. With no
trigger before it, a recovery verb after it in the clause decides
(`涉及资金3万元已全部追回`).

A recovery owed or under way (`应追回`, `尚未追回`, `正在追缴`) is not
money recovered. What follows `其中` (of which) after an amount in its
sentence is a part of it. A clause that states a total
(`累计追回资金2.1亿余元`) is the document's sum: the amounts its sentence
lists add up to it (`共追回…12.6万元,清退…3450元`), and amounts in other
sentences (the measure that recovered 1.35亿元) may be parts of it. They
are not added; where they come to more than the total, it cannot hold
them all and the field is left empty. Either way a warning says so;
amounts inside measures stay traceable as their `measure_amount` facts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.money import Amount, parse_amount
from bulletin_miner.records import Exactness, Fact
from bulletin_miner.stages._rules import parts_left_out, pattern_matches
from bulletin_miner.stages.state import state

STAGE = "bm_money_v1"
FIELD = "funds_recovered_cny"


@functools.lru_cache(maxsize=1)
def _patterns() -> dict[str, regex.Pattern]:
    keys = ("recovered", "spending", "object", "clause_break", "total", "pending")
    return {k: vocab.pattern("money", k) for k in keys}


class Recovered(NamedTuple):
    """An amount of money recovered, where it stands and the rule that read it."""

    start: int
    end: int
    rule: str
    total: bool = False  # its clause states a total (累计追回, 共计)


def recovered_amounts(text: str, start: int = 0, end: int | None = None) -> list[Recovered]:
    """Every amount in the region that is money recovered.

    >>> spans = lambda t: [t[r.start:r.end] for r in recovered_amounts(t)]
    >>> spans("追回多付资金3.0034万元。发放低保金6亿元。")
    ['3.0034万元']
    >>> spans("清退违规发放补贴3万元,投入资金101万余元用于慰问")
    ['3万元']
    >>> spans("涉及资金5000元已全部退还;下拨资金20万元")
    ['5000元']
    >>> [r.total for r in recovered_amounts("累计追回资金2.1亿元;追回公共资金3万元")]
    [True, False]
    >>> spans("应追回资金50万元,已追回30万元,剩余20万元正在追缴中")
    ['30万元']
    """
    p = _patterns()
    end = len(text) if end is None else end
    out = []
    for m in pattern_matches("money", "amount", text, start, end):
        clause_start = _clause_start(text, m.start(), start, p["clause_break"])
        before = _masked(text[clause_start : m.start()], p["object"])
        pending = [t.span() for t in p["pending"].finditer(before)]
        triggers = [(t.end(), "recovered", t.group()) for t in p["recovered"].finditer(before) if not _inside(t.span(), pending)]
        triggers += [(e, "pending", before[s:e]) for s, e in pending]
        triggers += [(t.end(), "spending", t.group()) for t in p["spending"].finditer(before)]
        total = p["total"].search(before) is not None
        if triggers:
            _, role, word = max(triggers)
            if role == "recovered":
                out.append(Recovered(m.start(), m.end(), f"recovered_before:{word}", total))
            continue
        clause_end = _clause_end(text, m.end(), end, p["clause_break"])
        after = _masked(text[m.end() : clause_end], p["object"])
        first_recovered = p["recovered"].search(after)
        first_spending = p["spending"].search(after)
        if first_recovered and _inside(first_recovered.span(), [t.span() for t in p["pending"].finditer(after)]):
            continue  # 剩余20万元正在追缴中
        if first_recovered and (not first_spending or first_recovered.start() < first_spending.start()):
            out.append(Recovered(m.start(), m.end(), f"recovered_after:{first_recovered.group()}", total))
    return out


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in spans)


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
    found = [(r, amount) for r in recovered_amounts(text, st.header_end) if (amount := parse_amount(text[r.start : r.end])) is not None]
    counted, warnings = sum_up(text, found, st.sentence_span)
    st.warnings.extend(warnings)
    for r, amount in counted:
        st.add(doc, _fact(text, r, amount))
    return doc


def _fact(text: str, r: Recovered, amount: Amount) -> Fact:
    return Fact(FIELD, amount.yuan, r.start, r.end, text[r.start : r.end], STAGE, r.rule, exactness=Exactness(amount.exactness))


Found = tuple[Recovered, Amount]


def sum_up(text: str, found: list[Found], sentence_of: Callable[[int], tuple[int, int]]) -> tuple[list[Found], list[str]]:
    """The amounts the document's sum is made of, and warnings for those left out.

    >>> text = "追回资金1.35亿元。累计追回资金2.1亿余元,其中清退5000万元。"
    >>> found = [(r, parse_amount(text[r.start:r.end])) for r in recovered_amounts(text)]
    >>> one_sentence_each = lambda pos: (0, 11) if pos < 11 else (11, len(text))
    >>> counted, warnings = sum_up(text, found, one_sentence_each)
    >>> [text[r.start:r.end] for r, _ in counted]
    ['2.1亿余元']
    >>> print("\\n".join(warnings))
    funds_recovered_cny: 5000万元 at char 28 follows 其中 after 2.1亿余元 at char 17: a part of it, not a mention of its own
    funds_recovered_cny: 1.35亿元 at char 4 may be part of the total 2.1亿余元 at char 17; not added
    """
    # What 其中 lists after an amount is a part of it (as for any count).
    kept, warnings = parts_left_out(text, [_fact(text, r, amount) for r, amount in found])
    not_parts = {f.start for f in kept}
    # Bulletins restate an amount (summary, then the measure that recovered
    # it): the same sum twice is counted once, and said so.
    first_at: dict = {}
    distinct: list[Found] = []
    for r, amount in found:
        if r.start not in not_parts:
            continue
        if amount.yuan in first_at:
            warnings.append(f"{FIELD}: {text[r.start : r.end]} at char {r.start} restates the amount at char {first_at[amount.yuan]}; counted once")
            continue
        first_at[amount.yuan] = r.start
        distinct.append((r, amount))
    totals: dict[tuple[int, int], Recovered] = {}  # each sentence's first total
    for r, _ in distinct:
        if r.total:
            totals.setdefault(sentence_of(r.start), r)
    if not totals:
        return distinct, warnings
    in_totals = [(r, amount) for r, amount in distinct if sentence_of(r.start) in totals]
    elsewhere = [(r, amount) for r, amount in distinct if sentence_of(r.start) not in totals]
    if not elsewhere:
        return in_totals, warnings
    stated_total = sum(amount.yuan for _, amount in in_totals)
    named = ", ".join(_at(text, r) for r, _ in elsewhere)
    total_named = ", ".join(_at(text, r) for r in totals.values())
    if sum(amount.yuan for _, amount in elsewhere) > stated_total:
        warnings.append(
            f"{FIELD}: {named} come to more than the total {total_named}, so it cannot hold them all, and which it holds is not said; left empty"
        )
        return [], warnings
    warnings.append(f"{FIELD}: {named} may be part of the total {total_named}; not added")
    return in_totals, warnings


def _at(text: str, r: Recovered) -> str:
    return f"{text[r.start : r.end]} at char {r.start}"
