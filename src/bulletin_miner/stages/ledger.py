"""Problems listed in a table (整改台账, 问题清单) rather than under headings.

The readers write a table's row as one line with its cells between bars,
`| 1 | 学习不深入 | 一是制定计划。二是… | 已完成 |` (web pages, .docx, .doc,
RTF), merged cells filled in where the format says where they reach. A
table is a ledger when its header row names a problem column and a
measures or a status column (resources/outline.yml, `ledger_columns`);
each row under it with a problem is one problem, and a row after it with
measures but no problem (its problem cell merged over both) holds more of
its measures. The outline stage reads ledgers only when its headings list
no problems.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from dataclasses import dataclass

import regex

from bulletin_miner import vocab
from bulletin_miner.config import CELL_BAR as BAR

_SERIAL = regex.compile(r"[0-9]{1,3}")

Span = tuple[int, int]


@dataclass(frozen=True)
class LedgerRow:
    """One problem of a ledger: spans of its cells in the text (None where the table has no such column)."""

    line: Span  # its row (the first, when its problem cell is merged over several)
    number: str | None  # its 序号 as written, when the table has one
    problem: Span
    aspect: Span | None  # its own aspect cell, or the one a merged cell above gives it
    measures: tuple[Span, ...]  # its measures cell in each of its rows
    status: Span | None


@functools.lru_cache(maxsize=1)
def _columns() -> dict[str, regex.Pattern]:
    fragments = vocab.defines("outline")
    return {kind: vocab.compile_pattern(p, fragments, "outline") for kind, p in vocab.table("outline", "ledger_columns").items()}


def cells(text: str, start: int, end: int) -> list[Span] | None:
    """The cells of a table row (spans, spaces trimmed), or None if the line is not one.

    >>> line = "| 1 | 学习不深入 |  | 已完成 |"
    >>> [line[a:b] for a, b in cells(line, 0, len(line))]
    ['1', '学习不深入', '', '已完成']
    >>> cells("1 学习不深入", 0, 7) is None, cells("| 只有一格 |", 0, 8) is None
    (True, True)
    """
    if not (text.startswith(BAR, start) and text[end - 1 : end] == BAR):
        return None
    bars = [i for i in range(start, end) if text[i] == BAR]
    if len(bars) < 3:  # fewer than two cells: a box around a line, not a table
        return None
    spans = []
    for a, b in itertools.pairwise(bars):
        a += 1
        while a < b and text[a] == " ":
            a += 1
        while b > a and text[b - 1] == " ":
            b -= 1
        spans.append((a, b))
    return spans


def column_kind(cell: str) -> str | None:
    """What a header cell names: serial, aspect, problem, measures or status.

    >>> [column_kind(c) for c in ["序号", "问题类别", "存在问题", "整改措施", "完成情况", "完成时限", "责任单位"]]
    ['serial', 'aspect', 'problem', 'measures', 'status', None, None]
    """
    cell = cell.replace(" ", "")
    for kind, pattern in _columns().items():
        if pattern.match(cell):
            return kind
    return None


def ledger_rows(text: str, lines: list[Span]) -> list[LedgerRow]:
    """Every problem of every ledger among `lines`, in reading order.

    >>> text = "| 序号 | 存在问题 | 整改措施 | 完成情况 |\\n| 1 | 学习不深入 | 制定计划 | 已完成 |\\n| 2 | 制度不健全 | 修订制度 | 持续推进 |"
    >>> lines = [m.span() for m in regex.finditer(r"[^\\n]+", text)]
    >>> [(r.number, text[slice(*r.problem)], text[slice(*r.status)]) for r in ledger_rows(text, lines)]
    [('1', '学习不深入', '已完成'), ('2', '制度不健全', '持续推进')]
    """
    rows: list[LedgerRow] = []
    header: dict[str, int] | None = None  # column kind -> index, while inside a ledger
    header_texts: list[str] = []
    width = 0
    aspect: Span | None = None
    continues = False  # the row before gave a problem (or went on with one)
    for start, end in lines:
        spans = cells(text, start, end)
        if spans is None:
            header, continues = None, False  # the table has ended
            continue
        texts = [text[a:b] for a, b in spans]
        if header is None:
            kinds = [column_kind(t) for t in texts]
            if "problem" in kinds and ("measures" in kinds or "status" in kinds):
                header = {kind: i for i, kind in reversed(list(enumerate(kinds))) if kind}  # the first of each kind
                header_texts, width, aspect = texts, len(spans), None
            continue
        if texts == header_texts:  # the header again, on the table's next page
            continues = False
            continue
        # A merged cell (rowspan) leaves a row short by the cells it covers:
        # the others are aligned from the right, but for a 序号 that the row
        # still has in its first cell; the merged aspect is the one above.
        shift = width - len(spans)
        if shift < 0:
            continue  # more cells than the header names: not read rather than misread
        own_serial = shift > 0 and header.get("serial") == 0 and _SERIAL.fullmatch(text, *spans[0]) is not None

        cell = functools.partial(_cell, header=header, spans=spans, shift=shift, own_serial=own_serial)

        # an empty aspect cell is one merged with the cell above (as a page's
        # or a Word file's merged cells are filled in): the aspect goes on
        own_aspect = cell("aspect") if shift == 0 else None
        if own_aspect is not None:
            aspect = own_aspect
        problem, measures = cell("problem"), cell("measures")
        if problem is None and measures is not None and continues:
            # the problem's cell is merged over this row too: one more of its measures
            last = rows[-1]
            rows[-1] = dataclasses.replace(last, line=(last.line[0], end), measures=(*last.measures, measures))
            continue
        continues = False
        if (
            problem is None
            or vocab.pattern("outline", "ledger_figure").fullmatch(text, *problem)
            or column_kind(text[slice(*problem)]) in ("serial", "measures", "status")
        ):
            continue  # no problem: none, a figure (a table of counts), or a column's name (a header cut short)
        serial = cell("serial")
        number = text[slice(*serial)] if serial and _SERIAL.fullmatch(text, *serial) else None
        rows.append(LedgerRow((start, end), number, problem, aspect, (measures,) if measures else (), cell("status")))
        continues = True
    return rows


def cell_measures(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """(ordinal, start, end) of each measure numbered inside a cell: 1. 2. / (1) (2) / ① ②,
    in sequence from the cell's start.

    >>> cell = "1.制定计划;2.追回资金12.5万元;3.修订制度"
    >>> [(o, cell[s:e]) for o, s, e in cell_measures(cell, 0, len(cell))]
    [('1', '1.制定计划;'), ('2', '2.追回资金12.5万元;'), ('3', '3.修订制度')]
    >>> cell = "(1)制定计划 (2)开展学习"
    >>> [(o, cell[s:e]) for o, s, e in cell_measures(cell, 0, len(cell))]
    [('(1)', '(1)制定计划 '), ('(2)', '(2)开展学习')]
    >>> cell_measures("制定计划,落实1.5万元", 0, 12)
    []
    """
    marker = vocab.pattern("outline", "ledger_measure_marker")
    if not marker.match(text, start, end):  # the numbering opens the cell, or there is none
        return []
    marks: list[tuple[str, int]] = []
    for m in marker.finditer(text, start, end):
        ordinal = m.group("ordinal")
        expected = len(marks) + 1
        value = int(ordinal) if ordinal.isascii() else ord(ordinal) - 0x2460 + 1
        if value != expected or (not marks and m.start() != start):
            continue
        marks.append((m.group() if m.group().startswith("(") else ordinal, m.start()))  # (1) as written, as a heading's is
    return [(ordinal, s, marks[i + 1][1] if i + 1 < len(marks) else end) for i, (ordinal, s) in enumerate(marks)]


def _cell(kind: str, header: dict[str, int], spans: list[Span], shift: int, own_serial: bool) -> Span | None:
    """The span of a row's cell of one column kind: None where the row has no
    such cell, or where it is empty. A row short by `shift` cells (merged
    with the row above) is aligned from the right, but for a 序号 it still has."""
    i = header.get(kind)
    if i is None:
        return None
    if shift and not (own_serial and i == 0):
        i -= shift
        if i < (1 if own_serial else 0):
            return None  # a column the merged cells cover
    a, b = spans[i]
    return (a, b) if b > a else None
