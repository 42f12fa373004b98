"""bm_layout_v1: lines, sentences, the title line and where the body starts."""
from __future__ import annotations

import functools

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.records import Fact
from bulletin_miner.stages.state import state

STAGE = "bm_layout_v1"
_LINE = regex.compile(r"[^\n]+")


@functools.lru_cache(maxsize=1)
def _config():
    data = vocab.load("layout")
    return {
        "sentence_end": vocab.pattern("layout", "sentence_end"),
        "title_keyword": vocab.pattern("layout", "title_keyword"),
        "title_end": vocab.pattern("layout", "title_end"),
        "continuation_max": int(data["title_continuation_max_length"]),
        "not_title": vocab.patterns("layout", "not_title"),
        "label_line": vocab.pattern("metadata", "label_line"),
        "outline_start": vocab.pattern("layout", "outline_start"),
        "min": int(data["title_min_length"]),
        "max": int(data["title_max_length"]),
        "search_lines": int(data["title_search_lines"]),
        "intro_fallback": int(data["intro_fallback_chars"]),
    }


def title_continues(lines: list[str], index: int) -> bool:
    """Whether the title on `lines[index]` runs on to the next line.

    >>> title_continues(["中共某县民政局党组关于巡察整改", "进展情况的通报", "正文。"], 0)
    True
    >>> title_continues(["关于巡察整改进展情况的通报", "县委巡察组对县民政局党组进行了巡察。"], 0)
    False
    >>> title_continues(["中共某县民政局党组关于巡察整改", "一、整改工作总体情况"], 0)
    False
    """
    cfg = _config()
    if index + 1 >= len(lines) or cfg["title_end"].search(lines[index]):
        return False
    following = lines[index + 1]
    if len(following) > cfg["continuation_max"] or any(p.search(following) for p in cfg["not_title"]):
        return False  # too long, or a heading, an addressee or a sentence of its own
    return bool(cfg["title_end"].search(following))


def find_title(lines: list[str]) -> int | None:
    """Index of the title line among the first lines, if there is one.

    >>> find_title(["各区民政局:", "根据要求,现印发给你们。", "厦门市民政局", "深化养老服务质量提升工作实施方案"])
    3
    >>> find_title(["今年以来,县民政局党组坚持以人民为中心。"]) is None
    True
    """
    cfg = _config()
    for i, line in enumerate(lines[: cfg["search_lines"]]):
        if not cfg["min"] <= len(line) <= cfg["max"]:
            continue
        if cfg["label_line"].search(line) or any(p.search(line) for p in cfg["not_title"]):
            continue
        if line.count(",") > 2:
            continue
        if cfg["title_keyword"].search(line):
            return i
    return None


@Language.factory("bm_layout_v1", assigns=["doc._.bm"])
def create_layout(nlp: Language, name: str):
    return layout


def layout(doc: Doc) -> Doc:
    st = state(doc)
    text = st.text
    st.text_length = len(text)
    cfg = _config()
    st.lines = [m.span() for m in _LINE.finditer(text)]
    starts = {s for s, _ in st.lines}
    starts.update([m.end() for m in cfg["sentence_end"].finditer(text)])
    # the Doc's tokens follow in bm_spans_v2, which re-tokenises at these starts
    n = len(text)
    st.sentence_starts = sorted([s for s in starts if s < n and not text[s].isspace()])
    line_texts = [text[s:e] for s, e in st.lines]
    title_index = find_title(line_texts)
    header_end = 0
    for i, (s, e) in enumerate(st.lines[: cfg["search_lines"]]):
        if cfg["label_line"].search(line_texts[i]) or i == title_index:
            header_end = e
    if title_index is not None:
        s, e = st.lines[title_index]
        rule = "title_line"
        if title_continues(line_texts, title_index):
            e = st.lines[title_index + 1][1]
            header_end = max(header_end, e)
            rule = "title_two_lines"
        st.title = (s, e)
        st.add(doc, Fact("title", text[s:e].replace("\n", ""), s, e, text[s:e], STAGE, rule))
    st.header_end = header_end
    outline = cfg["outline_start"].search(text, header_end)
    st.intro_end = outline.start() if outline else min(len(text), header_end + cfg["intro_fallback"])
    return doc
