"""bm_doctype_v1: what kind of document this is, and the cues that say so.

A title that names its kind decides (`…整改进展情况的通报`, `…反馈巡察情况`).
Many pages have no title line: then the cues of the document's opening
are weighed (resources/doctype.yml), and the type they say most wins. The
`doc_type` fact points at the strongest cue and its rule names every cue
that counted, so a type can be checked like any value.

The type decides only what makes sense for one kind (problem rows come
from a bulletin's findings); what a document states is read whatever its
type.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.records import Fact
from bulletin_miner.stages.state import state

STAGE = "bm_doctype_v1"
OTHER = "other"


class Cue(NamedTuple):
    name: str
    weight: int
    pattern: regex.Pattern
    anywhere: bool


class TypeCues(NamedTuple):
    doc_type: str
    priority: int
    title: list[regex.Pattern]
    body: list[Cue]


@functools.lru_cache(maxsize=1)
def _cues() -> tuple[int, list[TypeCues]]:
    data = vocab.load("doctype")
    fragments = vocab.defines("doctype")

    def compile_one(p: str) -> regex.Pattern:
        return vocab.compile_pattern(p, fragments, "doctype")

    out = []
    for entry in data["types"]:
        body = [Cue(c["name"], int(c["weight"]), compile_one(c["cue"]), bool(c.get("anywhere", False))) for c in entry.get("body") or []]
        out.append(TypeCues(entry["type"], int(entry["priority"]), [compile_one(p) for p in entry.get("title") or []], body))
    return int(data["opening_chars"]), out


def classify(text: str, title: tuple[int, int] | None, body_start: int = 0) -> tuple[str, tuple[int, int] | None, str]:
    """(doc_type, span of the deciding cue, rule: the cues that counted).

    >>> classify("关于巡察整改进展情况的通报\\n正文", (0, 13))[0]
    'rectification_bulletin'
    >>> classify("今年以来,县民政局坚持为民。\\n二、存在的不足问题\\n三、2025年工作计划", None)[0]
    'work_summary'
    >>> classify("会议纪要", None)
    ('other', None, 'no_cue')
    >>> meeting = "县民政局召开巡察整改专题民主生活会\\n会议通报了整改进展,已完成整改14个。"
    >>> classify(meeting, (0, 17))[0], classify("县委召开巡察工作动员部署会\\n会议强调", (0, 13))[0]
    ('other', 'feedback_notice')

    Without a title, the opening's cues are weighed: a bulletin names its
    publication; feedback news tells of the feedback; a summary of a round
    tells of many units.

    >>> bulletin = "根据区委部署,区委第一巡察组对区司法局党组进行了巡察。2024年8月13日,区委巡察组向区司法局党组反馈了巡察意见。现将整改进展情况报告如下。"
    >>> classify(bulletin, None)[0], classify(bulletin, None)[2]
    ('rectification_bulletin', 'rectification_bulletin.body: publication=3 (feedback_notice 1)')
    >>> classify("2021年8月2日,区委第三巡察组向区委办反馈巡察情况。组长反馈时指出:", None)[0]
    'feedback_notice'
    >>> classify("区委组建4个巡察组对区民政局等4家单位开展常规巡察。区委4个巡察组向40家被巡察单位党组织反馈巡察情况。40家单位整改的697个问题,完成整改688个。现将整改进展情况向社会公开。", None)[0]
    'round_summary'
    """
    opening_chars, types = _cues()
    if title:
        for cues in types:
            for i, pattern in enumerate(cues.title):
                match = pattern.search(text, title[0], title[1])
                if match:
                    return cues.doc_type, match.span(), f"{cues.doc_type}.title.{i}"
    opening_end = min(len(text), body_start + opening_chars)
    scored: list[tuple[int, int, str, list[tuple[Cue, regex.Match]]]] = []
    for cues in types:
        hits = []
        for cue in cues.body:
            m = cue.pattern.search(text, 0 if cue.anywhere else body_start, len(text) if cue.anywhere else opening_end)
            if m:
                hits.append((cue, m))
        if hits:
            scored.append((sum(c.weight for c, _ in hits), -cues.priority, cues.doc_type, hits))
    if not scored:
        return OTHER, None, "no_cue"
    scored.sort(key=lambda s: s[:2], reverse=True)
    score, _, doc_type, hits = scored[0]
    strongest = max(hits, key=lambda h: (h[0].weight, -h[1].start()))
    said = "+".join(f"{c.name}={c.weight}" if len(hits) == 1 else c.name for c, _ in hits)
    said = said if len(hits) == 1 else f"{said}={score}"
    runners = ", ".join(f"{t} {s}" for s, _, t, _ in scored[1:3])
    return doc_type, strongest[1].span(), f"{doc_type}.body: {said}" + (f" ({runners})" if runners else "")


@Language.factory("bm_doctype_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_doctype(nlp: Language, name: str):
    return doctype


def doctype(doc: Doc) -> Doc:
    st = state(doc)
    doc_type, span, rule = classify(st.text, _with_subtitle(st.text, st.title), st.header_end)
    st.doc_type = doc_type
    start, end = span if span else (0, 0)
    st.add(doc, Fact("doc_type", doc_type, start, end, st.text[start:end], STAGE, rule))
    return doc


def _with_subtitle(text: str, title: tuple[int, int] | None) -> tuple[int, int] | None:
    r"""The title with the subtitle under it, where one follows (a feature's
    headline, then `——七届省委第八轮巡视整改进展情况综述`): the subtitle says
    what kind of text it is.

    >>> text = "聚焦问题抓整改\n——七届省委第八轮巡视整改进展情况综述\n正文。"
    >>> s, e = _with_subtitle(text, (0, 7)); text[s:e].split("\n")[1]
    '——七届省委第八轮巡视整改进展情况综述'
    """
    if title is None:
        return None
    line_end = text.find("\n", title[1])
    if line_end < 0:
        return title
    next_end = text.find("\n", line_end + 1)
    next_end = len(text) if next_end < 0 else next_end
    if vocab.pattern("layout", "subtitle").match(text, line_end + 1, next_end):
        return title[0], next_end
    return title
