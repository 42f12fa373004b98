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
from bulletin_miner.normalize.dates import PartialDate, parse_partial, resolve
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
    # The anchor of each date is the last date written before it, in reading
    # order: a date of the text, or the page's publication date above it.
    anchors: list[tuple[int, dt.date, bool]] = [(f.start, f.value, True) for f in st.facts_for("published_date") if f.start < start]
    for m in pattern_matches("dates", "date", text, start, end):
        partial = parse_partial(m.group())
        anchor = partial.to_date() if partial else None
        if anchor is not None:  # a whole date (to_date is None for a partial one)
            anchors.append((m.start(), anchor, False))
    anchors.sort()

    def complete(partial: PartialDate, pos: int, *, after_anchor: bool) -> tuple[dt.date | None, bool]:
        """A date completed from the anchor before it; what a page reports happened before it was published."""
        earlier = [(d, published) for p, d, published in anchors if p < pos]
        anchor, published = earlier[-1] if earlier else (None, False)
        if published:
            return resolve(partial, anchor, not_after=True)
        return resolve(partial, anchor, not_before=after_anchor)

    # Only a sentence that reports the inspection gives its period (an
    # audit's or a campaign's dates are not an inspection's).
    period_end: dt.date | None = None
    for region in st.inspection_sentences:
        m = vocab.pattern("dates", "period").search(text, *region)
        if not m:
            continue
        first = parse_partial(text[slice(*m.span("inspection_start"))])
        last = parse_partial(text[slice(*m.span("inspection_end"))])
        if not first or not last:
            continue
        first_date, first_inferred = complete(first, m.start(), after_anchor=False)
        if first_date is None:
            continue
        last_date, last_inferred = resolve(last, first_date, not_before=True)
        if last_date is None or last_date < first_date:
            st.warnings.append(f"inspection period {m.group()!r} does not resolve to a forward range; left empty")
            continue
        _add(doc, "inspection_start", first_date, m.span("inspection_start"), first_inferred, "period")
        _add(doc, "inspection_end", last_date, m.span("inspection_end"), last_inferred, "period")
        anchors.append((m.start("inspection_end"), last_date, False))
        anchors.sort()
        period_end = last_date
        break
    else:
        _stationed(doc, st, complete)

    for m in pattern_matches("dates", "feedback", text, start, end):
        partial = parse_partial(text[slice(*m.span("feedback_date"))])
        if not partial:
            continue
        date, inferred = complete(partial, m.start(), after_anchor=True)
        if date is None:
            continue
        if period_end and date < period_end:
            st.warnings.append(f"feedback date {date} falls before the inspection ends ({period_end}); left out")
            continue
        _add(doc, "feedback_date", date, m.span("feedback_date"), inferred, "feedback")
    return doc


def _stationed(doc: Doc, st, complete) -> None:
    """With no period written, the day a team took up its post starts the
    inspection (`9月19日,市委第二巡察组进驻某镇`); its end is not guessed."""
    for start, end in st.inspection_sentences:
        m = vocab.pattern("dates", "stationed").search(st.text, start, end)
        if m:
            partial = parse_partial(m.group("inspection_start"))
            date, inferred = complete(partial, m.start(), after_anchor=False) if partial else (None, False)
            if date is not None:
                _add(doc, "inspection_start", date, m.span("inspection_start"), inferred, "stationed")
            return


def _add(doc: Doc, field: str, value: dt.date, span: tuple[int, int], inferred: bool, rule: str) -> None:
    s, e = span
    status = Status.INFERRED if inferred else Status.STATED
    st = state(doc)
    st.add(doc, Fact(field, value, s, e, st.text[s:e], STAGE, rule, status))
