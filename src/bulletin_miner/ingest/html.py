"""Saved web pages: the article text without navigation, scripts and chrome.

trafilatura finds the article; labelled metadata lines (来源, 发布时间,
索引号, 文号 …) are taken verbatim from the whole page and put before it, so
their values keep real spans in the analysed text, and the head's standard
meta tags stand in for the lines a page does not show. Layout tables are
read as blocks first. Nothing is fetched: trafilatura is given the page's
own string.
"""

from __future__ import annotations

import unicodedata

import lxml.html
import regex
import trafilatura

from bulletin_miner import vocab
from bulletin_miner.config import MAX_HTML_CHARS, MAX_LABEL_LINE_CHARS
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.textnorm import to_simplified

# Pages are cut to this size before parsing: no article is this long, and a
# page padded with script would otherwise cost seconds of parsing.
# Below this, trafilatura's balanced extraction under-delivered: try again favouring recall.
MIN_ARTICLE_CHARS = 200
_XML_DECLARATION = regex.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
# Navigation before the title is cut only when the title stands this close to the start.
TITLE_NEAR_START_CHARS = 300
# Older government sites lay their pages out in tables, the article one cell
# of paragraphs. trafilatura reads every table as data, a row a line, and the
# article's lines ran into one (no outline, no title line). A table with a
# cell holding blocks, or a text this long, is layout: it is read as blocks.
LAYOUT_CELL_CHARS = 200
# But a grid of cells (rows of three across) is data even when its cells hold
# paragraphs, as Word writes them, unless a cell is this long: an article.
MAX_GRID_CELL_CHARS = 1000
_TABLE_PARTS = ("table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption")
# Elements that begin a line of their own where a page is drawn.
_LINE_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
# A cell holding one of these (a table included) holds blocks: it is layout.
_BLOCKS = "|".join(f".//{tag}" for tag in sorted(_LINE_TAGS.difference(_TABLE_PARTS) | {"table"}))


def html_to_text(html: str, path: str | None = None) -> str:
    """Article text of a saved page, headed by its title and metadata lines.

    >>> page = '''<html><head><title>t</title><script>var x=1;</script></head><body>
    ... <div class="nav">首页 | 纪检动态</div><h1>中共某县民政局党组关于巡察整改进展情况的通报</h1>
    ... <div class="info">来源:某县纪委 发布时间:2023-05-06 阅读量:12</div>
    ... <div class="article"><p>按照县委部署,县委第一巡察组对县民政局党组进行了巡察。现将整改进展情况予以公布。</p>
    ... <p>一、关于“落实不到位”问题的整改进展情况。一是加强学习。二是完善制度。</p></div></body></html>'''
    >>> text = html_to_text(page)
    >>> text.splitlines()[0]
    '中共某县民政局党组关于巡察整改进展情况的通报'
    >>> "发布时间:2023-05-06" in text, "var x" in text, "纪检动态" in text
    (True, False, False)
    """
    # an XHTML page's XML declaration names its encoding, which lxml refuses
    # in a text already decoded (`Unicode strings with encoding declaration`)
    html = _XML_DECLARATION.sub("", html[:MAX_HTML_CHARS], count=1)
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError) as err:
        raise BulletinError(ErrorKind.NO_TEXT, f"the page cannot be parsed as HTML: {err}", path=path) from None
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    lxml.etree.strip_tags(tree, lxml.etree.Comment, lxml.etree.ProcessingInstruction)  # their text is no text; what follows them is
    if _unwrap_layout_tables(tree) | _fill_merged_cells(tree):
        html = lxml.html.tostring(tree, encoding="unicode")
    # A cascade: the balanced extraction first, recall only when it under-delivers
    # (recall mode also keeps page furniture such as the site name). A page
    # of very many elements goes without trafilatura's fallback extractors,
    # whose time grows with the square of them (60,000 small tables: hours).
    fast = sum(1 for _ in tree.iter()) > MAX_FALLBACK_ELEMENTS
    article = _extract(html, favor_recall=False, fast=fast)
    if len(article) < MIN_ARTICLE_CHARS:
        article = _extract(html, favor_recall=True, fast=fast) or article
    article = _RULE_ROW.sub("", article)  # trafilatura's `| --- | --- |` under a table's header row: no text of the page
    header: list[str] = []
    title = _title(tree)
    at = article.find(title) if title else -1
    if title and 0 <= at <= TITLE_NEAR_START_CHARS:
        article = article[at:]  # what precedes the title there is navigation
    elif title:
        header.append(title)
    label_line = vocab.pattern("metadata", "label_line")
    for line in (" ".join(raw.split()) for raw in _text_lines(tree)):
        # labels are matched as the analysed text will read them (NFKC: ：-> :; 發佈時間 is 发布时间)
        if (
            line
            and len(line) <= MAX_LABEL_LINE_CHARS
            and label_line.search(to_simplified(unicodedata.normalize("NFKC", line)))
            and line not in header
            and line not in article
        ):
            header.append(line)
    header += _meta_lines(tree, "\n".join([*header, article]))
    text = "\n".join([*header, article]).strip()
    if not text:
        raise BulletinError(ErrorKind.NO_TEXT, "the page holds no article text", path=path)
    return text


def _extract(html: str, favor_recall: bool, fast: bool = False) -> str:
    return (
        trafilatura.extract(
            html,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            favor_recall=favor_recall,
            deduplicate=False,
            with_metadata=False,
            fast=fast,
        )
        or ""
    )


def _text_lines(tree) -> list[str]:
    """The page's text as it is drawn, a block a line: a minified page (no
    newlines in its source) still gives its 来源/发布时间 line on its own.

    >>> _text_lines(lxml.html.fromstring("<div><h1>标题</h1><div>来源：县纪委 <b>发布时间</b>：2024-10-12</div><p>正文<br>二行</p></div>"))
    ['标题', '来源：县纪委 发布时间：2024-10-12', '正文', '二行']

    (Comments are stripped before: lxml's walk passes over them, and their tails with them.)
    """
    parts: list[str] = []
    for event, node in lxml.etree.iterwalk(tree, events=("start", "end")):  # not recursion: a page may nest deep
        if event == "start":
            parts.append("\n" if node.tag in _LINE_TAGS else "")
            parts.append(node.text or "")
        else:
            parts.append("\n" if node.tag in _LINE_TAGS else "")
            if node is not tree:
                parts.append(node.tail or "")
    return [line for line in "".join(parts).splitlines() if line.strip()]


def _meta(tree, name: str) -> str | None:
    """The content of the head's <meta name=…> (any case), spaces collapsed."""
    for node in tree.xpath("//meta[@name][@content]"):
        if node.get("name").lower() == name.lower():
            return " ".join(node.get("content").split()) or None
    return None


def _meta_lines(tree, said: str) -> list[str]:
    """The head's standard meta tags as the labelled lines they stand for, where the page shows none.

    >>> page = lxml.html.fromstring('<html><head><meta name="PubDate" content="2024-10-12 09:30"><meta name="ContentSource" content="县纪委"></head><body>正文</body></html>')
    >>> _meta_lines(page, "正文"), _meta_lines(page, "来源：县纪委 正文")
    (['发布时间:2024-10-12 09:30', '来源:县纪委'], ['发布时间:2024-10-12 09:30'])
    """
    said = to_simplified(unicodedata.normalize("NFKC", said))
    fragments = vocab.defines("metadata")
    lines = []
    for name, entry in vocab.load("metadata")["page_meta"].items():
        content = _meta(tree, name)
        if content and not regex.search(f"(?:{fragments[entry['said_by']]})\\s*:", said):
            lines.append(f"{entry['label']}:{content}")
    return lines


def _title(tree) -> str | None:
    declared = _meta(tree, vocab.load("metadata")["page_title_meta"])
    if declared and 6 <= len(declared) <= 120:
        return declared
    for xpath in ("//h1", "//*[contains(@class,'title')]", "//title"):
        for node in tree.xpath(xpath):
            text = " ".join(node.text_content().split())
            if xpath == "//title":
                text = _without_site_name(text)
            if 6 <= len(text) <= 120:
                return text
    return None


# What joins a page's <title> to the site's name: 标题_三门县人民政府, 标题 - 县纪委 | 首页
# (a hyphen between figures, 2021-2022年, joins nothing).
_TITLE_PARTS = regex.compile(r"\s*(?:[_|｜—–]+|(?<![0-9])-(?![0-9]))\s*")


def _without_site_name(title: str) -> str:
    """A <title> without the site's name: its longest part that has a title's word in it.

    >>> _without_site_name("中共某县民政局党组关于巡察整改进展情况的通报_三门县人民政府")
    '中共某县民政局党组关于巡察整改进展情况的通报'
    >>> _without_site_name("首页 - 关于2021-2022年度巡察整改情况的通报 | 县纪委")
    '关于2021-2022年度巡察整改情况的通报'
    """
    parts = [part for part in _TITLE_PARTS.split(title) if vocab.pattern("layout", "title_keyword").search(part)]
    return max(parts, key=len) if parts else title


def _unwrap_layout_tables(tree) -> bool:
    """Turn layout tables into plain blocks, innermost first; whether there was one.

    >>> tree = lxml.html.fromstring("<div><table><tr><td><p>一、甲</p><p>二、乙</p></td></tr></table>"
    ...                             "<table><tr><td>序号</td><td>问题</td></tr></table></div>")
    >>> _unwrap_layout_tables(tree), [t.tag for t in tree.iter("table", "td")]
    (True, ['table', 'td', 'td'])
    >>> tree = lxml.html.fromstring("<table><tr><td><p>正文</p><table><tr><td>序号</td></tr></table></td></tr></table>")
    >>> _unwrap_layout_tables(tree), [t.tag for t in tree.iter("table", "td")]
    (True, ['table', 'td'])
    """
    unwrapped = False
    for table in reversed(tree.xpath("//table")):  # document order reversed: a nested table before its container
        cells = [c for c in table.iter("td", "th") if _nearest_table(c) is table]
        if _is_grid(table):
            continue  # a table of data whose cells hold paragraphs (a ledger saved from Word)
        if not any(c.xpath(_BLOCKS) or len(c.text_content()) > LAYOUT_CELL_CHARS for c in cells):
            continue  # a data table: trafilatura keeps its rows
        # its own rows and cells, not those of a table inside it (nor that table)
        for part in [table, *(e for e in table.iter(*_TABLE_PARTS) if e.tag != "table" and _nearest_table(e) is table)]:
            part.tag = "div"  # its class stays: class="title" still marks the title
        unwrapped = True
    return unwrapped


def _is_grid(table) -> bool:
    """Whether a table is a grid of data: rows of two cells or more, three
    across at the widest, no table inside, no cell an article's length. A
    page laid out in a table has a row of one cell across it (the article,
    the navigation), two columns (a sidebar beside the article) or the
    article in a cell; a ledger of problems has none of these.

    >>> rows = ("<tr><td>序号</td><td>问题</td><td>措施</td></tr>"
    ...         "<tr><td><p>1</p></td><td><p>学习不深入</p></td><td><p>一是学习。</p><p>二是考勤。</p></td></tr>")
    >>> grid = lxml.html.fromstring(f"<table>{rows}</table>")
    >>> titled = lxml.html.fromstring(f"<table><tr><td colspan=3><p>整改台账</p></td></tr>{rows}</table>")
    >>> layout = lxml.html.fromstring("<table><tr><td>标志</td><td>横幅</td><td>搜索</td></tr><tr><td colspan=3><p>正文</p></td></tr></table>")
    >>> article = "<p>" + "一、关于学习的问题。一是制定计划。" * 60 + "</p>"
    >>> columns = lxml.html.fromstring(f"<table><tr><td>标志</td><td>横幅</td><td>搜索</td></tr><tr><td>导航</td><td>{article}</td><td>链接</td></tr></table>")
    >>> _is_grid(grid), _is_grid(titled), _is_grid(layout), _is_grid(columns)
    (True, True, False, False)
    """
    if table.xpath(".//table") or any(len(c.text_content()) > MAX_GRID_CELL_CHARS for c in table.iter("td", "th")):
        return False
    widths = [len(list(row.iterchildren("td", "th"))) for row in table.iter("tr")]
    while widths and widths[0] == 1:  # a title row across the table (巡察整改台账), a note under it
        widths.pop(0)
    while widths and widths[-1] == 1:
        widths.pop()
    return len(widths) >= 2 and min(widths) >= 2 and max(widths) >= 3


# The rule trafilatura writes under a table's header row, as Markdown has it.
_RULE_ROW = regex.compile(r"^\|(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?:\n|$)", regex.MULTILINE)
# A merged cell spans at most this many rows or columns here (a damaged page can claim millions).
MAX_CELL_SPAN = 100
# A table whose merged cells would fill more cells than this is not filled in,
# and its spans are dropped (trafilatura widens a table by them: hours).
MAX_FILLED_CELLS = 20_000
# Elements of a page past which trafilatura's fallback extractors are not run.
MAX_FALLBACK_ELEMENTS = 50_000


def _fill_merged_cells(tree) -> bool:
    """Give every row of a data table one cell a column: a cell merged over
    rows or columns (rowspan, colspan) is followed by empty cells where it
    reaches, as the rows are drawn. trafilatura writes a row's cells one after
    another, so a row under a merged cell came out short, its cells under the
    wrong columns. Whether there was one.

    >>> tree = lxml.html.fromstring('<table><tr><td>1</td><td rowspan="2">问题</td><td colspan="2">措施</td></tr>'
    ...                             '<tr><td>2</td><td>甲</td><td>乙</td></tr></table>')
    >>> _fill_merged_cells(tree), [[c.text for c in row] for row in tree.iter("tr")]
    (True, [['1', '问题', '措施', None], ['2', None, '甲', '乙']])
    """
    filled = False
    for table in tree.xpath("//table"):
        if not (table.xpath(".//td[@rowspan or @colspan]|.//th[@rowspan or @colspan]")):
            continue
        rows = [row for row in table.iter("tr") if _nearest_table(row) is table]
        # what filling would build, counted before building it: a page may claim
        # 4,000 cells of 100 x 100 (40 million), no ledger more than a few thousand
        area = sum(_span(c.get("colspan")) * _span(c.get("rowspan")) for row in rows for c in row if c.tag in ("td", "th"))
        if area > MAX_FILLED_CELLS:  # no ledger: its spans dropped, so nothing downstream widens it either
            for cell in table.xpath(".//td[@rowspan or @colspan]|.//th[@rowspan or @colspan]"):
                cell.attrib.pop("colspan", None)
                cell.attrib.pop("rowspan", None)
            filled = True
            continue
        below: dict[tuple[int, int], bool] = {}  # (row, column) a merged cell above covers
        for r, row in enumerate(rows):
            column = 0
            for cell in [c for c in row if c.tag in ("td", "th")]:
                while below.pop((r, column), False):
                    cell.addprevious(lxml.html.Element("td"))
                    column += 1
                across, down = _span(cell.get("colspan")), _span(cell.get("rowspan"))
                for k in range(across):
                    if k:
                        cell.addnext(lxml.html.Element("td"))  # (each put right after the cell: all empty alike)
                    for d in range(1, down):
                        below[(r + d, column + k)] = True
                column += across
                cell.attrib.pop("colspan", None)
                cell.attrib.pop("rowspan", None)
                filled = True
            while below.pop((r, column), False):  # merged cells reaching past the row's own
                row.append(lxml.html.Element("td"))
                column += 1
    return filled


def _span(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), MAX_CELL_SPAN)
    except ValueError:
        return 1


def _nearest_table(element):
    return next(element.iterancestors("table"), None)
