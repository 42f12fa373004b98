"""bm_layout_v1: lines, sentences, the title line and where the body starts."""

from __future__ import annotations

import functools

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.dates import parse_partial
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
        "title_tag": vocab.pattern("layout", "title_tag"),
        "title_tail": vocab.pattern("layout", "title_tail"),
        "label_line": vocab.pattern("metadata", "label_line"),
        "date_line": vocab.pattern("metadata", "date_line"),
        "title_label": vocab.pattern("metadata", "title_label"),
        "title_unit_line": vocab.pattern("layout", "title_unit_line"),
        "title_opens_with_about": vocab.pattern("layout", "title_opens_with_about"),
        "title_about": vocab.pattern("layout", "title_about"),
        "outline_start": vocab.pattern("layout", "outline_start"),
        "min": int(data["title_min_length"]),
        "max": int(data["title_max_length"]),
        "search_lines": int(data["title_search_lines"]),
        "menu_item_max": int(data["menu_item_max_length"]),
        "headline_max": int(data["headline_max_length"]),
        "furniture_max": int(data["furniture_max_length"]),
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
    return bool(cfg["title_end"].search(following, 0, title_span(following)[1]))  # (a date after it: 进展情况的通报 (2024-07-26))


def title_begins_above(lines: list[str], index: int) -> bool:
    """Whether the title on `lines[index]` began on the line above: a short
    line naming a unit and 关于, that does not end as a title does.

    >>> title_begins_above(["某县医疗保障局党组关于第十四届", "县委机动巡察整改进展情况的通报"], 1)
    True
    >>> title_begins_above(["当前位置:首页 > 通知公告", "关于巡察整改进展情况的通报"], 1)
    False
    """
    cfg = _config()
    above = lines[index - 1]
    return (
        cfg["title_about"].search(above) is not None
        and not cfg["title_opens_with_about"].match(lines[index])
        and not is_page_furniture(above)
        and title_continues(lines, index - 1)
    )


def is_page_furniture(line: str) -> bool:
    """A metadata line (来源:…, 发布时间:…) or a date line (2023-06-14 10:21:37).

    >>> is_page_furniture("来源:县纪委 发布时间:2024-01-18"), is_page_furniture("2021-11-08 15:02 来源: 某某网")
    (True, True)
    >>> is_page_furniture("2024年3月21日至4月19日,县委第一巡察组对县民政局进行了巡察。")
    False
    """
    cfg = _config()
    if len(line) > cfg["furniture_max"]:
        return False  # a paragraph that happens to hold a label is body text
    return bool(cfg["label_line"].search(line) or cfg["date_line"].search(line))


def find_title(lines: list[str], searched: int | None = None) -> int | None:
    """Index of the title line among the first lines, if there is one: a
    line naming a kind of document, or a headline with page furniture under
    it; never after the outline has started.

    >>> find_title(["各区民政局:", "根据要求,现印发给你们。", "厦门市民政局", "深化养老服务质量提升工作实施方案"])
    3
    >>> find_title(["今年以来,县民政局党组坚持以人民为中心。"]) is None
    True
    >>> find_title(["首页 > 通知公告", "浙江255个地区单位党组织完成“政治体检”", "2017年01月06日 14:53:26", "正文。"])
    1
    >>> find_title(["按照区委部署,现将巡察整改情况予以公布。", "一、组织落实巡察整改情况", "街道工委严格按照区委巡察反"]) is None
    True
    """
    cfg = _config()
    window = lines[: header_window(lines) if searched is None else searched]
    body_seen = False  # a headline tops the page; a signature above a date is no title
    for i, line in enumerate(window):
        if cfg["outline_start"].match(line):
            return None  # the body's outline has begun: a title stands above it
        if not cfg["min"] <= len(line) <= cfg["max"]:
            body_seen = body_seen or len(line) > cfg["max"]
            continue
        if is_page_furniture(line) or any(p.search(line) for p in cfg["not_title"]):
            body_seen = body_seen or "。" in line
            continue
        if line.count(",") > 2:
            body_seen = True
            continue
        if cfg["title_keyword"].search(line) and (not body_seen or cfg["title_end"].search(line)):
            # (below body text, only a line that ends as titles do: a plan under its cover letter)
            return _standalone(window, i)
        following = window[i + 1 : i + 2]
        if not body_seen and len(line) <= cfg["headline_max"] and following and is_page_furniture(following[0]):
            return i
    return None


def header_window(lines: list[str]) -> int:
    """How many lines the header search looks at: the first `title_search_lines`,
    not counting a menu's items (成都 | 绵阳 | …, a line each), which would
    push the title out of sight.

    >>> header_window(["成都", "|", "绵阳", "|", "您所在的位置:首页>新闻", "某某党组关于巡察整改情况的通报"] + ["正文的一行。"] * 30)
    19
    """
    cfg = _config()
    counted = 0
    for i, line in enumerate(lines):
        if len(line.strip()) > cfg["menu_item_max"]:
            counted += 1
            if counted == cfg["search_lines"]:
                return i + 1
    return len(lines)


def _standalone(window: list[str], i: int) -> int:
    """The title line, or the line below it that holds the same title alone,
    where the first is a site's banner that ends with it
    (`某市人民政府门户网站 某局 政务公告 中共某局党组关于…的通报`).

    >>> _standalone(["某市政府网 某局 政务公告 中共某局党组关于巡察整改情况的通报", "当前位置:首页", "中共某局党组关于巡察整改情况的通报"], 0)
    2
    >>> _standalone(["中共某局党组关于巡察整改情况的通报", "正文。"], 0)
    0
    """
    banner = "".join(window[i].split())
    for j in range(i + 1, min(i + 4, len(window))):
        alone = "".join(window[j].split())
        if len(alone) >= _config()["min"] and len(alone) < len(banner) and banner.endswith(alone):
            return j
    return i


def title_span(line: str) -> tuple[int, int]:
    """The title within its line: without a column's tag before it or a date
    or page number after it.

    >>> line = "【巡察整改】中共某市市场监督管理局党组关于巡察整改进展情况的通报 2026-02-13"
    >>> s, e = title_span(line); line[s:e]
    '中共某市市场监督管理局党组关于巡察整改进展情况的通报'
    >>> title_span("某县巡察工作实施方案_第1页")
    (0, 10)
    """
    cfg = _config()
    tag = cfg["title_tag"].match(line)
    start = tag.end() if tag and tag.end() < len(line) else 0
    tail = cfg["title_tail"].search(line, start)
    end = tail.start() if tail and tail.start() > start else len(line)
    return start, end


def _date_after_title(doc: Doc, start: int, end: int) -> None:
    """A date printed after the title on its line (…的通报 2026-02-13) is the page's publication date."""
    st = state(doc)
    m = _dates().search(st.text, start, end)
    if m:
        partial = parse_partial(m.group())
        if partial and partial.is_complete and partial.to_date():
            st.add(doc, Fact("published_date", partial.to_date(), m.start(), m.end(), m.group(), STAGE, "title_line_date"))


@functools.lru_cache(maxsize=1)
def _dates() -> regex.Pattern:
    fragments = vocab.defines("metadata")
    return regex.compile(f"{fragments['iso_date']}|{fragments['full_date']}")


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
    searched = header_window(line_texts)
    title_index = find_title(line_texts, searched)
    header_end = 0
    # The header is the page furniture above the body (a dated line further
    # down, 《人民日报》( 2021年04月21日 04 版), is not), and the title.
    in_header = True
    for i, (_, e) in enumerate(st.lines[:searched]):
        if i == title_index or (in_header and is_page_furniture(line_texts[i])):
            header_end = e
        elif "。" in line_texts[i] or len(line_texts[i]) > cfg["headline_max"]:
            in_header = False
    labelled = next((m for ls, le in st.lines[:searched] if (m := cfg["title_label"].match(text, ls, le))), None)
    if labelled:  # a metadata block that names the title (标题:…) outranks any line
        s, e = labelled.span("title")
        st.title = (s, e)
        st.add(doc, Fact("title", st.as_written(s, e), s, e, text[s:e], STAGE, "title_label"))
    elif title_index is not None:
        first = last = title_index
        rule = "title_line"
        if (
            title_index > 0
            and cfg["title_opens_with_about"].match(line_texts[title_index])
            and cfg["title_unit_line"].match(line_texts[title_index - 1])
        ):
            first = title_index - 1  # the unit stands on the line above: 中共上海市某区委员会 / 关于…的通报
            rule = "title_lines"
        elif title_index > 0 and title_begins_above(line_texts, title_index):
            first = title_index - 1  # broken mid-phrase: 某县医疗保障局党组关于第十四届 / 县委机动巡察整改进展情况的通报
            rule = "title_lines"
        if title_continues(line_texts, title_index):
            last = title_index + 1
            rule = "title_lines"
        s = st.lines[first][0] + title_span(line_texts[first])[0]
        tail_start = st.lines[last][0] + title_span(line_texts[last])[1]
        e = tail_start
        _date_after_title(doc, tail_start, st.lines[last][1])
        header_end = max(header_end, st.lines[last][1])
        st.title = (s, e)
        # as written: in its own script, where the text was read as simplified
        st.add(doc, Fact("title", st.as_written(s, e).replace("\n", ""), s, e, text[s:e], STAGE, rule))
    st.header_end = header_end
    outline = cfg["outline_start"].search(text, header_end)
    st.intro_end = outline.start() if outline else min(len(text), header_end + cfg["intro_fallback"])
    return doc
