"""bm_doctype_v1: what kind of document this is.

Look-alikes (feedback news, work plans, summaries) are classified, not
forced into bulletin fields: later stages look at `doc_type`.
"""
from __future__ import annotations

import functools

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.records import Fact
from bulletin_miner.stages.state import state

STAGE = "bm_doctype_v1"
OTHER = "other"


@functools.lru_cache(maxsize=1)
def _cues() -> list[tuple[str, int, list[regex.Pattern], list[regex.Pattern]]]:
    data = vocab.load("doctype")
    fragments = vocab.defines("doctype")
    out = []
    for entry in data["types"]:
        compile_all = lambda items: [vocab.compile_pattern(p, fragments, "doctype") for p in items or []]
        out.append((entry["type"], int(entry["priority"]), compile_all(entry.get("title")), compile_all(entry.get("body"))))
    return out


def classify(text: str, title: tuple[int, int] | None) -> tuple[str, tuple[int, int] | None, str]:
    """(doc_type, span of the deciding cue, rule name).

    >>> classify("关于巡察整改进展情况的通报\\n正文", (0, 13))[0]
    'rectification_bulletin'
    >>> classify("今年以来,县民政局坚持为民。\\n二、存在的不足问题\\n三、2025年工作计划", None)[0]
    'work_summary'
    >>> classify("会议纪要", None)[0]
    'other'
    >>> meeting = "县民政局召开巡察整改专题民主生活会\\n会议通报了整改进展,已完成整改14个。"
    >>> classify(meeting, (0, 17))[0], classify("县委召开巡察工作动员部署会\\n会议强调", (0, 13))[0]
    ('other', 'feedback_notice')
    """
    cues = _cues()
    if title:
        for doc_type, _, title_cues, _ in cues:
            for i, pattern in enumerate(title_cues):
                match = pattern.search(text, title[0], title[1])
                if match:
                    return doc_type, match.span(), f"{doc_type}.title.{i}"
    best: tuple[int, int, str, tuple[int, int] | None, str] | None = None
    for doc_type, priority, _, body_cues in cues:
        hits = [(i, m) for i, p in enumerate(body_cues) if (m := p.search(text))]
        if hits and (best is None or (len(hits), -priority) > best[:2]):
            first_i, first_m = min(hits, key=lambda h: h[1].start())
            best = (len(hits), -priority, doc_type, first_m.span(), f"{doc_type}.body.{first_i}")
    if best is None:
        return OTHER, None, "no_cue"
    return best[2], best[3], best[4]


@Language.factory("bm_doctype_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_doctype(nlp: Language, name: str):
    return doctype


def doctype(doc: Doc) -> Doc:
    st = state(doc)
    doc_type, span, rule = classify(st.text, st.title)
    st.doc_type = doc_type
    start, end = span if span else (0, 0)
    st.add(doc, Fact("doc_type", doc_type, start, end, st.text[start:end], STAGE, rule))
    return doc
