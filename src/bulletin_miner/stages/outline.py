"""bm_outline_v1: the heading tree, the problems it lists and the measures for each.

Headings are read from their numbering at the start of a line (一、 (一) 1.
(1) ①), ranks fixed by the marker so that skipped levels and numbering that
restarts inside a section come out right. Only sections that hold findings
(not the preamble, general work or next steps) yield problems: the leaves
of the tree there. Under each problem, the measures are the run of
一是…二是…三是 in its body. When the headings list no problems, the rows
of a ledger table are read instead (stages/ledger.py).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.dates import parse_partial, resolve
from bulletin_miner.normalize.money import parse_amount
from bulletin_miner.normalize.numerals import parse_int
from bulletin_miner.records import Exactness, Fact, Status
from bulletin_miner.stages._rules import pattern_matches
from bulletin_miner.stages.ledger import cell_measures, ledger_rows
from bulletin_miner.stages.state import DocState, state

STAGE = "bm_outline_v1"
_LEADING_NUMBER = regex.compile(r"[0-9]+(?:\.[0-9]+)?")
_LEX = vocab.load("lexicon")
# A measure's label is its opening clause, cut at a word boundary past this many characters.
MAX_LABEL_CHARS = 16
# The segmenter reads only this much past the cut: the word holding the cut is
# decided by its neighbours, not by the far end of a long clause.
LABEL_LOOKAHEAD = 12
# A problem's status is read this far into its account, no further (later words describe measures).
STATUS_REACH = 12


@dataclass
class Heading:
    rank: int
    number: str  # as the path shows it: 一, (一), 1, (1), ①
    line_start: int
    title_start: int  # the heading's words, after the marker
    title_end: int
    body_start: int
    parent: Heading | None = None
    children: list[Heading] = field(default_factory=list)

    def path(self) -> str:
        parts = []
        node: Heading | None = self
        while node is not None:
            parts.append(node.number)
            node = node.parent
        return "/".join(reversed(parts))

    def ancestors(self) -> list[Heading]:
        out = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return list(reversed(out))


@dataclass
class Outline:
    issues: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def _cfg() -> dict[str, Any]:
    data = vocab.load("outline")
    fragments = vocab.defines("outline")
    markers = [(int(m["rank"]), m["show"], vocab.compile_pattern(m["pattern"], fragments, "outline")) for m in data["markers"]]
    keys = (
        "measure_marker",
        "frame",
        "frame_unquoted",
        "heading_tail",
        "findings_section",
        "not_findings_section",
        "explicit_findings",
        "failing",
        "rectification_label",
        "closing_line",
        "measure_count",
    )
    cfg = {k: vocab.pattern("outline", k) for k in keys}
    cfg["markers"] = sorted(markers, key=lambda m: m[0])
    # any marker at all, in one match: most lines are not headings, and then
    # one call answers for every marker
    cfg["any_marker"] = regex.compile("|".join(f"(?:{p.pattern})" for _, _, p in cfg["markers"]), cfg["markers"][0][2].flags)
    cfg["status"] = {k: vocab.compile_pattern(v, fragments, "outline") for k, v in vocab.table("outline", "status").items()}
    cfg["applies_to"] = set(data["applies_to"])
    return cfg


def parse_headings(text: str, lines: list[tuple[int, int]]) -> tuple[list[Heading], list[int]]:
    """Headings in document order (linked into a tree) and the starts of closing lines.

    >>> text = "一、关于“甲”问题\\n(一)分类\\n1.针对“乙”问题\\n一是学习。二是制度。\\n2.丙不到位\\n下一步,继续。"
    >>> lines = [m.span() for m in regex.finditer(r"[^\\n]+", text)]
    >>> headings, closing = parse_headings(text, lines)
    >>> [h.path() for h in headings], len(closing)
    (['一', '一/(一)', '一/(一)/1', '一/(一)/2'], 1)
    >>> headings, closing = parse_headings("下一步\\n(一)深化认识", [(0, 3), (4, 10)])
    >>> headings, closing
    ([], [0, 4])
    """
    cfg = _cfg()
    headings: list[Heading] = []
    closing: list[int] = []
    stack: list[Heading] = []
    closed = False  # after a closing line, until the next top-level heading
    for start, end in lines:
        line = text[start:end]
        for rank, show, pattern in cfg["markers"] if cfg["any_marker"].match(line) else ():
            m = pattern.match(line)
            if not m:
                continue
            title_start = start + m.end()
            full_stop = text.find(_LEX["full_stop"], title_start, end)
            if 0 <= full_stop < end - 1:  # the heading runs on into its paragraph
                title_end, body_start = full_stop, full_stop + 1
            else:
                title_end, body_start = end, end
            heading = Heading(rank, show.format(num=m.group("num")), start, title_start, title_end, body_start)
            if closed and rank > 1:
                closing.append(start)  # a next-step heading: only a boundary
                break
            closed = False
            while stack and stack[-1].rank >= rank:
                stack.pop()
            if stack:
                heading.parent = stack[-1]
                stack[-1].children.append(heading)
            stack.append(heading)
            headings.append(heading)
            break
        else:
            if cfg["closing_line"].match(line):
                closing.append(start)
                closed = True
    return headings, closing


def problem_title(text: str, heading: Heading) -> tuple[str, int, int]:
    """A problem's name without quotes and frame words, with its span.

    >>> t = "1.针对“智慧养老服务不够‘接地气’”问题的整改进展情况。"
    >>> problem_title(t, Heading(3, "1", 0, 2, len(t), len(t)))[0]
    '智慧养老服务不够‘接地气’'
    >>> t = "(7)针对“政治引领“五大协会”作用缺失”的问题。"
    >>> problem_title(t, Heading(4, "(7)", 0, 3, len(t), len(t)))[0]
    '政治引领“五大协会”作用缺失'
    >>> t = "6.形式主义官僚主义作风依然存在"
    >>> problem_title(t, Heading(3, "6", 0, 2, len(t), len(t)))[0]
    '形式主义官僚主义作风依然存在'
    """
    return title_in(text, heading.title_start, heading.title_end)


def title_in(text: str, s: int, e: int) -> tuple[str, int, int]:
    """The name in text[s:e] without quotes and frame words, with its span (a heading's words or a ledger's cell)."""
    cfg = _cfg()
    for key in ("frame", "frame_unquoted"):
        m = cfg[key].match(text, s, e)
        if m:
            return m.group("title"), m.start("title"), m.end("title")
    tail = cfg["heading_tail"].search(text, s, e)
    if tail and tail.start() > s:
        e = tail.start()
    return text[s:e], s, e


def measure_label(measure_text: str) -> str:
    """The short phrase a measure opens with.

    >>> measure_label("加强宣传力度。与县传媒中心签订合作协议")
    '加强宣传力度'
    >>> measure_label("坚持把学习领会习近平总书记关于民生重要论述和指示批示精神作为第一议题")
    '坚持把学习领会习近平总书记关于'
    """
    clause = vocab.pattern("lexicon", "label_end").split(measure_text, maxsplit=1)[0].strip()
    if len(clause) <= MAX_LABEL_CHARS:
        return clause
    label = ""
    for word in _segmenter().cut(clause[: MAX_LABEL_CHARS + LABEL_LOOKAHEAD]):  # cut where a word ends, not inside one
        if len(label) + len(word) > MAX_LABEL_CHARS:
            break
        label += word
    return label or clause[:MAX_LABEL_CHARS]


@functools.lru_cache(maxsize=1)
def _segmenter():
    """jieba's dictionary and algorithm (max-probability route, HMM for unknown
    words) as rjieba implements them in Rust: 20 times faster than jieba, and
    the same words wherever a Han character is at stake (tests/test_outline.py)."""
    import rjieba

    return rjieba


def _is_findings_section(text: str, top: Heading, body_end: int) -> bool:
    cfg = _cfg()
    title = text[top.title_start : top.title_end]
    if cfg["not_findings_section"].search(title):
        return False
    if cfg["findings_section"].search(title):
        return True
    nodes = [top]
    while nodes:
        node = nodes.pop()
        if cfg["frame"].match(text, node.title_start, node.title_end) or cfg["frame_unquoted"].match(text, node.title_start, node.title_end):
            return True
        if not node.children and cfg["rectification_label"].match(
            text, node.body_start + (1 if text[node.body_start : node.body_start + 1] == "\n" else 0)
        ):
            return True
        nodes.extend(node.children)
    return False


def _is_framed(text: str, heading: Heading) -> bool:
    cfg = _cfg()
    return bool(
        cfg["frame"].match(text, heading.title_start, heading.title_end) or cfg["frame_unquoted"].match(text, heading.title_start, heading.title_end)
    )


def _measure_headings(text: str, headings: list[Heading]) -> list[Heading]:
    """Headings that enumerate measures: unframed, below a problem (framed, or
    whose account opens with its label: `(一)…\\n整改情况:\\n1.…`), with no problem below them."""
    framed = {id(h) for h in headings if _reads_as_problem(text, h)}

    def has_framed_below(h: Heading) -> bool:
        return any(id(c) in framed or has_framed_below(c) for c in h.children)

    return [
        h
        for h in headings
        if id(h) not in framed
        and h.parent is not None
        and id(h.parent) in framed
        and not has_framed_below(h)
        and not any(id(c) in framed for c in h.parent.children)  # siblings that are problems make this one a problem too
    ]


def _listed_measures(text: str, problem: Heading, measure_lines: list[Heading], body_end: int) -> list[tuple[str, int, int]]:
    """Measures written as numbered lines (①②③) under a problem heading."""
    mine = [h for h in measure_lines if h.parent is problem]
    spans = []
    for i, h in enumerate(mine):
        end = mine[i + 1].line_start if i + 1 < len(mine) else body_end
        spans.append((h.number, h.line_start, end))
    return spans


def _reads_as_problem(text: str, heading: Heading) -> bool:
    cfg = _cfg()
    if cfg["frame"].match(text, heading.title_start, heading.title_end) or cfg["frame_unquoted"].match(text, heading.title_start, heading.title_end):
        return True
    after = heading.body_start + (1 if text[heading.body_start : heading.body_start + 1] == "\n" else 0)
    return bool(cfg["rectification_label"].match(text, after))


def _measure_spans(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """(ordinal, start, end) of each measure in a problem's body: 一是, 二是 … in sequence."""
    marks = []
    expected = 1
    for m in _cfg()["measure_marker"].finditer(text, start, end):
        if parse_int(m.group("ordinal")) == expected:
            marks.append((m.group("ordinal"), m.start()))
            expected += 1
    spans = []
    for i, (ordinal, s) in enumerate(marks):
        e = marks[i + 1][1] if i + 1 < len(marks) else end
        spans.append((ordinal, s, e))
    return spans


@Language.factory("bm_outline_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_outline(nlp: Language, name: str):
    return outline


def outline(doc: Doc) -> Doc:
    st = state(doc)
    result = Outline()
    st.outline = result
    if not st.is_one_of(_cfg()["applies_to"]):
        return doc
    _read_outline(doc, st, result)
    # a bulletin that counts its problems but whose list could not be read says so
    if not result.issues and (stated := _single(st, "issues_total")) is not None:
        st.warnings.append(f"outline: the document states issues_total {stated} problems but no list of them could be read")
    return doc


def _read_outline(doc: Doc, st: DocState, result: Outline) -> None:
    """The problems the headings list (or, failing them, a ledger), into `result`."""
    text = st.text
    body_lines = [(s, e) for s, e in st.lines if s >= st.header_end]
    headings, closing = parse_headings(text, body_lines)
    if not headings:
        _read_ledgers(doc, st, result, headings, body_lines)
        return
    # Numbered lines under a problem heading (针对“…”问题 / ①②③) are its
    # measures, not problems of their own: take them out of the tree.
    measure_lines = _measure_headings(text, headings)
    for line in measure_lines:
        line.parent.children.remove(line)  # type: ignore[union-attr]  # a measure line is never a top heading: it has a parent
    measure_ids = {id(m) for m in measure_lines}
    structural = [h for h in headings if id(h) not in measure_ids]
    boundaries = sorted({h.line_start for h in structural} | set(closing) | {len(text)})

    def next_boundary(pos: int) -> int:
        return boundaries[bisect.bisect_right(boundaries, pos)]

    tops = [h for h in structural if h.parent is None]
    findings_tops = {id(t) for t in tops if _is_findings_section(text, t, len(text))}
    generic_tops = {id(t) for t in tops if id(t) in findings_tops and not _cfg()["explicit_findings"].search(text, t.title_start, t.title_end)}
    problems = [
        h
        for h in structural
        if not h.children
        and id((h.ancestors() or [h])[0]) in findings_tops
        # a top-level heading with nothing under it is a problem only if it reads as one
        and (h.parent is not None or _reads_as_problem(text, h))
        # under a generic heading, a step of the organisation is no problem
        and (
            id((h.ancestors() or [h])[0]) not in generic_tops
            or _reads_as_problem(text, h)
            or _cfg()["failing"].search(text, h.title_start, h.title_end)
        )
    ]

    if not problems:  # a ledger may list them instead
        _read_ledgers(doc, st, result, structural, body_lines)
        return
    names = _Names(text, tops)
    listed = []
    for problem in problems:
        body_end = next_boundary(problem.title_start)
        aspect, heading = names.grouping(problem.ancestors())
        account = _account_start(text, problem, body_end)
        listed.append(
            _Listed(
                problem.path(),
                names.of(aspect),
                names.of(heading),
                problem_title(text, problem),
                _status(text, problem, account, body_end),
                problem.line_start,
                body_end,
                _measure_spans(text, problem.body_start, body_end)
                or _listed_measures(text, problem, measure_lines, body_end)
                # or numbered in its account's running text: `整改情况:(1)…;(2)…`, as a ledger's cell numbers them
                or cell_measures(text, account, body_end),
                names.span_of(aspect),
                names.span_of(heading),
            )
        )
    _add_problems(doc, st, result, listed)


class _Listed(NamedTuple):
    """A problem found, under a heading or in a ledger's row, before it becomes an issues row."""

    path: str
    aspect: str | None
    heading: str | None
    title: tuple[str, int, int]  # the name and its span
    status: str | None
    char_start: int
    char_end: int
    measures: list[tuple[str, int, int]]  # (ordinal, start, end) of each
    aspect_at: tuple[int, int] | None = None  # where the aspect's name is written
    heading_at: tuple[int, int] | None = None  # where the heading's is


class _Names:
    """Aspect and sub-headings' names, each read once for all its problems."""

    def __init__(self, text: str, tops: list[Heading]):
        self.text = text
        self.names: dict[int, tuple[str, int, int]] = {}
        # top sections that only hold the findings: not framed as a problem themselves
        self.containers = {id(t) for t in tops if not _cfg()["frame"].match(text, t.title_start, t.title_end)}

    def of(self, heading: Heading | None) -> str | None:
        return self._read(heading)[0] if heading is not None else None

    def span_of(self, heading: Heading | None) -> tuple[int, int] | None:
        """Where the name is written (inside quotation marks and frame words)."""
        return self._read(heading)[1:] if heading is not None else None

    def _read(self, heading: Heading) -> tuple[str, int, int]:
        name = self.names.get(id(heading))
        if name is None:
            name = self.names[id(heading)] = problem_title(self.text, heading)
        return name

    def grouping(self, chain: list[Heading]) -> tuple[Heading | None, Heading | None]:
        """The aspect heading and the sub-heading of what lies under these
        headings (top first): the first, and the last when there are two or
        more, less a top section that only holds the findings (`二、整改落实的成效`
        above its aspects)."""
        if len(chain) >= 2 and id(chain[0]) in self.containers:
            chain = chain[1:]
        return (chain[0] if chain else None), (chain[-1] if len(chain) >= 2 else None)


def _read_ledgers(doc: Doc, st: DocState, result: Outline, headings: list[Heading], body_lines: list[tuple[int, int]]) -> None:
    """Problems from the rows of ledgers (stages/ledger.py), under the headings that hold them."""
    text = st.text
    rows = ledger_rows(text, body_lines)
    if not rows:
        return
    names = _Names(text, [h for h in headings if h.parent is None])
    starts = [h.line_start for h in headings]
    listed = []
    for index, row in enumerate(rows, start=1):
        i = bisect.bisect_right(starts, row.line[0]) - 1
        holder = headings[i] if i >= 0 else None  # the heading the table stands under
        aspect_heading, heading = names.grouping([] if holder is None else [*holder.ancestors(), holder])
        aspect, aspect_at, heading_at = names.of(aspect_heading), names.span_of(aspect_heading), names.span_of(heading)
        if row.aspect is not None:  # the row's own aspect cell says it
            aspect, aspect_at, heading, heading_at = text[slice(*row.aspect)], row.aspect, None, None
        number = row.number or str(index)
        listed.append(
            _Listed(
                f"{holder.path()}/{number}" if holder else number,
                aspect,
                names.of(heading),
                title_in(text, *row.problem),
                _stated_status(text, row.status[0], min(row.status[1], row.status[0] + STATUS_REACH)) if row.status else None,
                row.line[0],
                row.line[1],
                _row_measures(text, row.measures),
                aspect_at,
                heading_at,
            )
        )
    _add_problems(doc, st, result, listed)


def _row_measures(text: str, cells: tuple[tuple[int, int], ...]) -> list[tuple[str, int, int]]:
    """A ledger problem's measures: those numbered in its cell (一是, 1., (1), ①);
    with its problem cell merged over several rows, each row's cell is one
    more measure (with no ordinal written), or its own numbered ones."""
    measures: list[tuple[str, int, int]] = []
    for start, end in cells:
        numbered = _measure_spans(text, start, end) or cell_measures(text, start, end)
        if numbered or len(cells) == 1:
            measures += numbered
        else:
            measures.append(("", start, end))  # no ordinal is written: the row is its number
    return measures


def _add_problems(doc: Doc, st: DocState, result: Outline, listed: list[_Listed]) -> None:
    """The issues and measures tables' rows for the problems found, in order, and their measures' facts."""
    text = st.text
    measure_regions: list[tuple[int, int, int, int]] = []  # (start, end, issue_seq, measure_seq)
    for seq, problem in enumerate(listed, start=1):
        title, t_start, t_end = problem.title
        result.issues.append(
            {
                "seq": seq,
                "path": problem.path,
                "aspect": problem.aspect,
                "heading": problem.heading,
                "title": title,
                "status": problem.status,
                "n_measures": len(problem.measures),
                "char_start": problem.char_start,
                "char_end": problem.char_end,
                "title_start": t_start,
                "title_end": t_end,
                # where the headings above are written (for the codebook's evidence; not a column)
                "_aspect_at": problem.aspect_at,
                "_heading_at": problem.heading_at,
            }
        )
        for measure_seq, (ordinal, s, e) in enumerate(problem.measures, start=1):
            content_start = s + len(ordinal) + (1 if ordinal and text.startswith(_LEX["measure_suffix"], s + len(ordinal)) else 0)
            measure_text = text[content_start:e].lstrip(_LEX["marker_trail"]).strip()
            result.measures.append(
                {
                    "issue_seq": seq,
                    "measure_seq": measure_seq,
                    "ordinal": ordinal,
                    "marker": text[s:content_start],
                    "label": measure_label(measure_text),
                    "text": measure_text,
                    "char_start": s,
                    "char_end": e,
                }
            )
            measure_regions.append((s, e, seq, measure_seq))
    _key_facts_to_measures(doc, st, measure_regions)
    _check_counts(st, result)


def _heading_name(text: str, heading: Heading) -> str:
    return problem_title(text, heading)[0]


def _status(text: str, problem: Heading, account: int, body_end: int) -> str | None:
    """The status stated on a problem's heading or in the first words of its
    account (`。已完成整改。`, `整改情况:已完成整改`), which starts at `account`."""
    regions = [(problem.title_start, problem.title_end), (account, min(account + STATUS_REACH, body_end))]
    return next((status for start, end in regions if (status := _stated_status(text, start, end))), None)


def _account_start(text: str, problem: Heading, body_end: int) -> int:
    """Where the account of a problem's rectification starts: after its heading's
    line break, or after a line's label such as `整改情况:` or `整改措施:`
    on the account's first line or its second (after one restating the
    problem: `存在问题:…`)."""
    body = problem.body_start + (1 if text[problem.body_start : problem.body_start + 1] == "\n" else 0)
    label_at = _cfg()["rectification_label"].match
    label = label_at(text, body, body_end)
    if label is None and (second := text.find("\n", body, body_end)) >= 0:
        label = label_at(text, second + 1, body_end)
    return label.end() if label else body


def _stated_status(text: str, start: int, end: int) -> str | None:
    """The status text[start:end] states (completed, in_progress, long_term), if any."""
    return next((status for status, pattern in _cfg()["status"].items() if pattern.search(text, start, end)), None)


def _key_facts_to_measures(doc: Doc, st: DocState, regions: list[tuple[int, int, int, int]]) -> None:
    """Give facts found inside a measure the measure's key; add its dates, amounts, counts."""
    if not regions:
        return
    text = st.text

    starts = [r[0] for r in regions]  # measures are in reading order and do not overlap

    def region_of(pos: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and pos < regions[i][1]:
            return regions[i][2], regions[i][3]
        return None

    st.facts = [f._replace(issue_seq=k[0], measure_seq=k[1]) if (k := region_of(f.start)) else f for f in st.facts]
    # One pass over the dates: each full date anchors the bare ones after it;
    # those inside a measure become its facts.
    anchor: dt.date | None = None
    for m in pattern_matches("dates", "date", text, 0, regions[-1][1]):
        partial = parse_partial(m.group())
        if partial is None:
            continue
        date, inferred = resolve(partial, anchor)
        if partial.to_date():
            anchor = partial.to_date()
        key = region_of(m.start())
        if date and key:
            status = Status.INFERRED if inferred else Status.STATED
            st.add(doc, Fact("measure_date", date, m.start(), m.end(), m.group(), STAGE, "date", status, issue_seq=key[0], measure_seq=key[1]))
    # Amounts and counts: one scan over all the measures, each match kept in
    # the measure that holds it whole (a scan per measure cost twice as much).
    first, last = regions[0][0], regions[-1][1]
    amounts = _by_region(pattern_matches("money", "amount", text, first, last), starts, regions)
    counts = _by_region(_cfg()["measure_count"].finditer(text, first, last), starts, regions)
    for i, (_, _, issue_seq, measure_seq) in enumerate(regions):
        for m in amounts.get(i, ()):
            amount = parse_amount(m.group())
            if amount:
                st.add(
                    doc,
                    Fact(
                        "measure_amount",
                        amount.yuan,
                        m.start(),
                        m.end(),
                        m.group(),
                        STAGE,
                        "amount",
                        exactness=Exactness(amount.exactness),
                        issue_seq=issue_seq,
                        measure_seq=measure_seq,
                    ),
                )
        for m in counts.get(i, ()):
            number = _LEADING_NUMBER.match(m.group()).group()
            value = parse_int(number) if "." not in number else float(number)
            st.add(doc, Fact("measure_count", value, m.start(), m.end(), m.group(), STAGE, "count", issue_seq=issue_seq, measure_seq=measure_seq))


def _by_region(matches: Iterable, starts: list[int], regions: list[tuple[int, int, int, int]]) -> dict[int, list]:
    """Matches by the index of the region that holds each whole; others are dropped."""
    out: dict[int, list] = {}
    for m in matches:
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and m.end() <= regions[i][1]:
            out.setdefault(i, []).append(m)
    return out


def _check_counts(st: DocState, result: Outline) -> None:
    """Warn where a stated count disagrees with what the outline lists; change neither."""
    listed = len(result.issues)
    if not listed:
        return
    stated_total = _single(st, "issues_total")
    stated_refined = _single(st, "issues_refined")
    stated = [n for n in (stated_total, stated_refined) if n is not None]
    if stated and listed not in stated:
        names = " / ".join(f"{name} {n}" for name, n in (("issues_total", stated_total), ("issues_refined", stated_refined)) if n is not None)
        st.warnings.append(f"outline: the document states {names} problems but lists {listed}")
        return  # a partial outline says nothing about the measures count
    measures_total = _single(st, "measures_total")
    if measures_total is not None and all(issue["n_measures"] for issue in result.issues):
        enumerated = sum(issue["n_measures"] for issue in result.issues)
        if enumerated != measures_total:
            st.warnings.append(f"outline: the document states measures_total {measures_total} but enumerates {enumerated} measures")


def _single(st: DocState, name: str) -> int | None:
    values = {f.value for f in st.facts_for(name)}
    return values.pop() if len(values) == 1 else None
