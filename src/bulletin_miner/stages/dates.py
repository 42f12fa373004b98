"""bm_dates_v1: inspection period and feedback date.

A date without a year takes it from the date written before it
(`2022年4月15日至6月8日。7月13日,…反馈`); a range end or a feedback date
that would then fall before its anchor moves to the next year. Such facts
are marked inferred.
"""
from __future__ import annotations

import datetime as dt

from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.dates import parse_partial, resolve
from bulletin_miner.records import Fact, Status
from bulletin_miner.stages._rules import pattern_matches
from bulletin_miner.stages.state import state

STAGE = "bm_dates_v1"


@Language.factory("bm_dates_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_dates(nlp: Language, name: str):
    return dates


def dates(doc: Doc) -> Doc:
    st = state(doc)
    text = st.text
    start, end = st.header_end, st.intro_end
    # The anchor of each date is the last date written before it, in reading order.
    anchors: list[tuple[int, dt.date]] = []
    for m in pattern_matches("dates", "date", text, start, end):
        partial = parse_partial(m.group())
        if partial and partial.is_complete and partial.to_date():
            anchors.append((m.start(), partial.to_date()))  # type: ignore[arg-type]

    def anchor_before(pos: int) -> dt.date | None:
        earlier = [d for p, d in anchors if p < pos]
        return earlier[-1] if earlier else None

    period_end: dt.date | None = None
    regions = st.inspection_sentences or [(start, end)]
    for region in regions:
        m = vocab.pattern("dates", "period").search(text, *region)
        if not m:
            continue
        first = parse_partial(text[slice(*m.span("inspection_start"))])
        last = parse_partial(text[slice(*m.span("inspection_end"))])
        if not first or not last:
            continue
        first_date, first_inferred = resolve(first, anchor_before(m.start()))
        if first_date is None:
            continue
        last_date, last_inferred = resolve(last, first_date, not_before=True)
        if last_date is None or last_date < first_date:
            st.warnings.append(f"inspection period {m.group()!r} does not resolve to a forward range; left empty")
            continue
        _add(doc, "inspection_start", first_date, m.span("inspection_start"), first_inferred, "period")
        _add(doc, "inspection_end", last_date, m.span("inspection_end"), last_inferred, "period")
        anchors.append((m.start("inspection_end"), last_date))
        anchors.sort()
        period_end = last_date
        break

    for m in pattern_matches("dates", "feedback", text, start, end):
        partial = parse_partial(text[slice(*m.span("feedback_date"))])
        if not partial:
            continue
        anchor = anchor_before(m.start())
        date, inferred = resolve(partial, anchor, not_before=True)
        if date is None:
            continue
        if period_end and date < period_end:
            st.warnings.append(f"feedback date {date} falls before the inspection ends ({period_end}); left out")
            continue
        _add(doc, "feedback_date", date, m.span("feedback_date"), inferred, "feedback")
    return doc


def _add(doc: Doc, field: str, value: dt.date, span: tuple[int, int], inferred: bool, rule: str) -> None:
    s, e = span
    status = Status.INFERRED if inferred else Status.STATED
    st = state(doc)
    st.add(doc, Fact(field, value, s, e, st.text[s:e], STAGE, rule, status))
