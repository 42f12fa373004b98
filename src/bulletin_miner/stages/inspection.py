"""bm_inspection_v1: the inspecting body, kind, modes, theme and round.

The inspector is taken from the sentence that reports the inspection
(`县委第一巡察组对县民政局党组进行了…巡察`), preferring the dated one (an
earlier inspection may be told of first), a mention with its ordinal, and
a named team to a bare `巡察组` that refers back to it. Modes and theme are
read only in the title and such sentences of the chosen team, so a later
`组织开展"回头看"` in the next-steps section is not a mode.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.numerals import to_chinese_ordinal
from bulletin_miner.normalize.region import places_named
from bulletin_miner.records import Fact
from bulletin_miner.stages._rules import pattern_matches
from bulletin_miner.stages.state import DocState, state

STAGE = "bm_inspection_v1"


@dataclass(frozen=True)
class InspectorMention:
    start: int
    end: int
    level: str
    ordinal: str
    kind: str

    @property
    def normalized(self) -> str:
        """Level + ordinal + kind + 组 (`市委巡察第二组` -> `市委第二巡察组`)."""
        lex = vocab.load("lexicon")
        ordinal = lex["ordinal_prefix"] + to_chinese_ordinal(self.ordinal) if self.ordinal else ""
        return f"{self.level}{ordinal}{self.kind}{lex['team_suffix']}"


def find_inspectors(text: str, start: int = 0, end: int | None = None) -> list[InspectorMention]:
    """Every inspecting-body mention in a region.

    >>> [m.normalized for m in find_inspectors("中共三门县委第一巡察组;市委巡察第2组;中央第三巡视组;县委巡察组")]
    ['县委第一巡察组', '市委第二巡察组', '中央第三巡视组', '县委巡察组']
    """
    out = []
    found = list(_inspector_backwards().finditer(text, start, len(text) if end is None else end))
    for m in reversed(found):
        out.append(InspectorMention(m.start(), m.end(), m.group("level") or "", m.group("ordinal") or "", m.group("kind")))
    return out


@functools.lru_cache(maxsize=1)
def _inspector_backwards() -> regex.Pattern:
    """The team pattern matched right to left: every name ends with 组, so each
    attempt fails at once unless it stands at one (5x faster than left to
    right, where each position tries the optional level, field and round),
    and a level before it is the shortest that reads (学校党委 of 根据学校党委…)."""
    pattern = vocab.pattern("inspection", "inspector")
    return regex.compile(pattern.pattern, pattern.flags | regex.REVERSE)


@functools.lru_cache(maxsize=1)
def _modes() -> list[tuple[str, regex.Pattern]]:
    fragments = vocab.defines("inspection")
    return [(mode, vocab.compile_pattern(p, fragments, "inspection")) for mode, p in vocab.table("inspection", "modes").items()]


@Language.factory("bm_inspection_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_inspection(nlp: Language, name: str):
    return inspection


def inspection(doc: Doc) -> Doc:
    st = state(doc)
    text = st.text
    act = vocab.pattern("inspection", "inspection_act")
    intro = (st.header_end, st.intro_end)
    mentions = find_inspectors(text, *intro)
    acts = [st.sentence_span(m.start) for m in mentions if act.search(text, *st.sentence_span(m.start))]
    # and, after them, sentences that report it without the team's name
    # (`2022年12月5日至12月13日,校党委对本科生院开展了第三轮巡视“回头看”`)
    acts += [st.sentence_span(m.start()) for m in act.finditer(text, *intro)]
    st.inspection_sentences = list(dict.fromkeys(acts))

    if mentions:

        def in_act(m: InspectorMention) -> bool:
            return any(s <= m.start < e for s, e in st.inspection_sentences)

        # the inspection reported is the one dated (2021年县委第一巡察组…巡察。
        # 2023年4月6日至5月31日,县委第二巡察组…开展了巡察"回头看")
        period = vocab.pattern("dates", "period")
        dated_sentences: dict[tuple[int, int], bool] = {}

        def dated(m: InspectorMention) -> bool:
            span = st.sentence_span(m.start)
            if span not in dated_sentences:
                dated_sentences[span] = period.search(text, *span) is not None
            return dated_sentences[span]

        # a bare 巡察组 (no level, no ordinal) refers back to the team named before
        def bare(m: InspectorMention) -> bool:
            return not m.level and not m.ordinal

        chosen = (
            mentions[0]
            if len(mentions) == 1
            else min(mentions, key=lambda m: (bare(m), not in_act(m), not dated(m), not m.ordinal, not m.level, m.start))
        )
        # Another team's inspection told of beside it is not this one: its
        # sentences give no modes, theme or dates.
        teams = {(m.start, m.normalized) for m in mentions if not bare(m)} if len(mentions) > 1 else set()
        team = chosen.normalized
        if any(name != team for _, name in teams):

            def named(span: tuple[int, int]) -> set[str]:
                return {name for start, name in teams if span[0] <= start < span[1]}

            st.inspection_sentences = [span for span in st.inspection_sentences if not named(span) or team in named(span)]
        if not chosen.level and chosen.ordinal:
            # 第二巡察组 refers back to 市委第二巡察组 named elsewhere: that is its full name
            chosen = next((m for m in mentions if m.level and m.ordinal and m.normalized.endswith(chosen.normalized)), chosen)
        # A report that is not one unit's and names a round's teams (第一、第二巡视组
        # in one sentence; a table of three or more): no one of them is its inspector.
        several = st.doc_type != "rectification_bulletin" and _names_a_rounds_teams(mentions, st.sentence_span)
        # 第二巡视组 with no committee named anywhere: whose team it is, the text does not say
        unplaced = not chosen.level and bool(chosen.ordinal)
        if not bare(chosen) and not several and not unplaced:  # a bare 巡察组 names no team: no inspector (its kind still counts)
            rule = "inspector" if chosen.start in {m.start for m in mentions if in_act(m)} or len(mentions) == 1 else "inspector_mention"
            st.add(doc, Fact("inspector", chosen.normalized, chosen.start, chosen.end, text[chosen.start : chosen.end], STAGE, rule))
        kind_at = text.index(chosen.kind, chosen.start)
        st.add(doc, Fact("inspection_kind", chosen.kind, kind_at, kind_at + 2, chosen.kind, STAGE, "inspector_kind"))
        level = chosen.level
    else:
        level = ""

    regions = ([st.title] if st.title else []) + st.inspection_sentences
    _kind_from_text(doc, st, regions, bool(mentions), intro)
    for start, end in regions:
        for mode, pattern in _modes():
            for m in pattern.finditer(text, start, end):
                st.add(doc, Fact("inspection_modes", mode, m.start(), m.end(), m.group(), STAGE, f"mode.{mode}"))
        for m in vocab.pattern("inspection", "theme").finditer(text, start, end):
            s, e = m.span("inspection_theme")
            st.add(doc, Fact("inspection_theme", text[s:e].strip('“”"'), s, e, text[s:e], STAGE, "theme"))
    _round(doc, st, regions, intro, level)
    return doc


def _names_a_rounds_teams(mentions: list[InspectorMention], sentence_of: Callable[[int], tuple[int, int]]) -> bool:
    """Whether the mentions name three or more teams, or two in one sentence
    (市委第二巡察组 and a later 第二巡察组 are one team)."""
    teams: dict[tuple[str, str], set[tuple[int, int]]] = {}
    for m in mentions:
        if m.ordinal:
            teams.setdefault((to_chinese_ordinal(m.ordinal), m.kind), set()).add(sentence_of(m.start))
    if len(teams) >= 3:
        return True
    if len(teams) == 2:
        first, second = teams.values()
        return bool(first & second)
    return False


def _round(doc: Doc, st: DocState, regions: list[tuple[int, int]], intro: tuple[int, int], level: str) -> None:
    """The round of the inspection reported: where the title or the inspection's
    sentences name one, else the one round the document names. Of two (a
    province's round a city's round is linked to), the committee of the team
    reported decides (省委第二轮巡视巡察联动工作部署…市委第四轮巡察: 市委第四轮)."""
    text = st.text
    found = [m for start, end in regions for m in pattern_matches("inspection", "round", text, start, end)]
    rule = "round"
    if not found:  # the one round the document names (印发了《…关于十二届市委第三轮巡察反馈问题的整改落实方案》)
        found = list(pattern_matches("inspection", "round", text, intro[0], len(text)))
        rule = "round_named_once"
        if len({m.group("inspection_round") for m in found}) != 1:
            return  # none, or several rounds and nothing to tell which is this one
    if level and len({m.group("inspection_round") for m in found}) > 1:
        found = [m for m in found if level in m.group("inspection_round")] or found
    for m in found:
        s, e = m.span("inspection_round")
        s = _with_place(text, s)
        st.add(doc, Fact("inspection_round", st.as_written(s, e), s, e, text[s:e], STAGE, rule))  # as written (九屆市委第三輪)


def _with_place(text: str, start: int) -> int:
    """Where a round opening with its committee (市委第三轮) starts with the
    committee's place (苏州市委第三轮: the place's name ends in the committee's
    first character)."""
    places = [p for p in places_named(text, max(0, start - 8), start + 1) if p.end == start + 1]
    return places[-1].start if places else start


def _kind_from_text(doc: Doc, st: DocState, regions: list[tuple[int, int]], have_inspector: bool, intro: tuple[int, int]) -> None:
    """With no team named, 巡察 or 巡视 decides the kind: the one the title and
    the inspection's sentences name, else the one the opening names."""
    if have_inspector:
        return
    pattern = vocab.pattern("inspection", "kind_word")
    words = [m for start, end in regions for m in pattern.finditer(st.text, start, end)]
    if words and len({m.group() for m in words}) == 1:
        m = words[0]
        st.add(doc, Fact("inspection_kind", m.group(), m.start(), m.end(), m.group(), STAGE, "kind_word"))
        return
    if words:
        return  # both named (巡视巡察): the text does not say which
    words = list(pattern.finditer(st.text, *intro))
    if words and len({m.group() for m in words}) == 1:
        m = words[0]
        st.add(doc, Fact("inspection_kind", m.group(), m.start(), m.end(), m.group(), STAGE, "kind_word_only"))
