"""The numbers Word draws before list paragraphs (一、 (一) 1. ①), which the
paragraph's text does not hold.

A bulletin written with Word's automatic numbering keeps its outline in
numbering.xml: python-docx gives each paragraph's text without it, and the
outline stage, which reads headings from their numbering, found no problem.
Each numbered paragraph gets its label back here, drawn the way Word draws
it: counters shared by the lists of one abstract numbering, a deeper level
restarted by a higher one, `startOverride` restarting a list, and the
level's text (`%1、`, `（%1）`, `%1.%2`) in its number format (figures,
Chinese and legal Chinese numerals, circled figures, 甲乙丙, letters, Roman
numerals). A format not drawn here (bullets, whose glyph is a font's) gives
no label: the text stays as python-docx gives it, and nothing is guessed.

The counting (`Lists`) knows no file format: ListNumbering fills it from a
.docx's numbering.xml, ingest/worddoc.py from a .doc's list tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, overload

import cn2an
from docx.oxml.ns import qn

from bulletin_miner import vocab

_STEMS = str(vocab.load("lexicon")["heavenly_stems"])
_FORMATS: dict[str, Callable[[int], str | None]] = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: "".join(chr(ord(d) + 0xFEE0) for d in str(n)),
    "chineseCounting": lambda n: cn2an.an2cn(n) if n > 0 else None,
    "ideographTraditional": lambda n: _STEMS[n - 1] if 1 <= n <= len(_STEMS) else None,
    "decimalEnclosedCircle": lambda n: chr(0x245F + n) if 1 <= n <= 20 else None,
    "chineseLegalSimplified": lambda n: cn2an.an2cn(n, "up") if n > 0 else None,  # 壹 贰 … 壹拾
    "upperLetter": lambda n: _letters(n),
    "lowerLetter": lambda n: (_letters(n) or "").lower() or None,
    "upperRoman": lambda n: _roman(n),
    "lowerRoman": lambda n: (_roman(n) or "").lower() or None,
    "none": lambda n: "",
}
# Formats Word draws alike for the numbers a bulletin reaches.
_FORMATS.update(
    decimalFullWidth2=_FORMATS["decimalFullWidth"],
    chineseCountingThousand=_FORMATS["chineseCounting"],
    decimalEnclosedCircleChinese=_FORMATS["decimalEnclosedCircle"],
    # Taiwan's counting draws 1-99 in the characters chineseCounting does
    # (一 … 十 十一 二十); LibreOffice writes chineseCounting as one of them in a .doc
    taiwaneseCounting=lambda n: cn2an.an2cn(n) if 0 < n < 100 else None,
)
_FORMATS["taiwaneseCountingThousand"] = _FORMATS["taiwaneseCounting"]
_LEVELS = 9
# The largest list number Word itself draws: a file may write any start
# (2,600,000,000 in letters is a 100-million-letter label); past this one a
# number is not drawn, as a bullet's is not.
MAX_LIST_NUMBER = 32767
# A level's text (%1、, 第%1章) is a label's frame: Word's dialog takes at most
# a few dozen characters; a longer one drawn before every paragraph would
# multiply a file's size.
MAX_LEVEL_TEXT = 64


def _letters(n: int) -> str | None:
    """Word's letter numbering: A … Z, then AA … ZZ, AAA …

    >>> [_letters(n) for n in (1, 26, 27, 53)]
    ['A', 'Z', 'AA', 'AAA']

    (Callers draw no number past MAX_LIST_NUMBER: the label grows with n.)
    """
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else None


_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


def _roman(n: int) -> str | None:
    """
    >>> [_roman(n) for n in (1, 4, 9, 14, 40, 1994)]
    ['I', 'IV', 'IX', 'XIV', 'XL', 'MCMXCIV']
    """
    if not 0 < n < 4000:
        return None
    out = ""
    for value, numeral in _ROMAN:
        count, n = divmod(n, value)
        out += numeral * count
    return out


def _val(element: Any, tag: str, default: str | None = None) -> str | None:
    child = element.find(qn(tag)) if element is not None else None
    return child.get(qn("w:val"), default) if child is not None else default


@overload
def _int(value: str | None, default: int) -> int: ...
@overload
def _int(value: str | None, default: None = None) -> int | None: ...
def _int(value: str | None, default: int | None = None) -> int | None:
    """A number attribute, or `default` where a damaged file holds something else."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class Level(NamedTuple):
    """One level of a list as Word keeps it, in either file format."""

    start: int | None  # the first number (None: unreadable, so its numbers are unknown)
    fmt: str  # the number format, by its .docx name (decimal, chineseCounting …)
    text: str  # the level text, %1 … %9 standing for each level's number
    legal: bool = False  # isLgl: the other levels' numbers in figures


class Lists:
    """Word's list numbering, whatever file it came from: the lists' levels,
    the numberings that use them (with restarts), and counters advanced one
    numbered paragraph at a time, in reading order."""

    def __init__(self, levels: dict[str, dict[int, Level]], nums: dict[str, tuple[str, dict[int, int]]]):
        self.levels = levels  # list (abstractNumId) -> ilvl -> Level
        self.nums = nums  # numbering (numId) -> (its list, start overrides by level)
        self.counters: dict[str, list[int | None]] = {}  # list -> each level's last number
        self.started: set[str] = set()  # numberings whose start overrides were applied

    def draw(self, num_id: str, ilvl: int) -> str:
        """The number Word draws before the next paragraph of this numbering and level ('' if none, or one not drawn here)."""
        if num_id not in self.nums:
            return ""
        abstract_id, overrides = self.nums[num_id]
        levels = self.levels.get(abstract_id, {})
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract_id, [None] * _LEVELS)
        if num_id not in self.started:  # a list restarted under a new numId
            self.started.add(num_id)
            for level, start in overrides.items():
                if 0 <= level < _LEVELS:
                    counters[level] = start - 1
        current = counters[ilvl]
        counters[ilvl] = _start(levels, ilvl) if current is None else current + 1
        for deeper in range(ilvl + 1, _LEVELS):  # a higher level restarts the ones below it
            counters[deeper] = None
        lvl = levels[ilvl]
        if lvl.fmt not in _FORMATS or len(lvl.text) > MAX_LEVEL_TEXT:  # a bullet, a format not drawn here, or no label's length
            return ""
        text = lvl.text
        for level in range(_LEVELS):
            marker = f"%{level + 1}"
            if marker not in text:
                continue
            value = counters[level] if counters[level] is not None else _start(levels, level)
            fmt = "decimal" if lvl.legal and level != ilvl else (levels[level].fmt if level in levels else "decimal")
            drawn = _FORMATS[fmt](value) if fmt in _FORMATS and value is not None and abs(value) <= MAX_LIST_NUMBER else None
            if drawn is None:
                return ""
            text = text.replace(marker, drawn)
        return text


def _start(levels: dict[int, Level], ilvl: int) -> int | None:
    # absent, a level starts at 0 (ECMA-376 17.9.26)
    return levels[ilvl].start if ilvl in levels else 0


class ListNumbering(Lists):
    """Labels for a .docx's paragraphs (numbering.xml), one call per paragraph in reading order."""

    def __init__(self, document: Any):
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):  # no numbering part: nothing is numbered
            root = None
        levels: dict[str, dict[int, Level]] = {}
        nums: dict[str, tuple[str, dict[int, int]]] = {}
        if root is not None:
            for abstract in root.findall(qn("w:abstractNum")):
                levels[abstract.get(qn("w:abstractNumId"))] = {_int(lvl.get(qn("w:ilvl")), 0): _level(lvl) for lvl in abstract.findall(qn("w:lvl"))}
            for num in root.findall(qn("w:num")):
                overrides = {}
                for override in num.findall(qn("w:lvlOverride")):
                    start, level = _int(_val(override, "w:startOverride")), _int(override.get(qn("w:ilvl")), 0)
                    if start is not None and level is not None:
                        overrides[level] = start
                abstract_id = _val(num, "w:abstractNumId")
                if abstract_id is not None:  # a numbering of no list draws nothing
                    nums[num.get(qn("w:numId"))] = (abstract_id, overrides)
        super().__init__(levels, nums)

    def label(self, paragraph: Any) -> str:
        """The number Word draws before this paragraph ('' if none, or one not drawn here)."""
        try:
            found = _num_pr(paragraph)
        except ValueError:  # python-docx reading a damaged number attribute
            return ""
        return "" if found is None else self.draw(*found)


def _level(lvl: Any) -> Level:
    # absent, a level starts at 0 (ECMA-376 17.9.26); unreadable, its numbers are unknown
    return Level(
        _int(_val(lvl, "w:start", "0")),
        _val(lvl, "w:numFmt", "decimal") or "decimal",
        _val(lvl, "w:lvlText", "") or "",
        lvl.find(qn("w:isLgl")) is not None,
    )


def _num_pr(paragraph: Any) -> tuple[str, int] | None:
    """(numId, level) from the paragraph's own properties, else from its style or the styles it is based on."""
    p_pr = paragraph._p.pPr
    num_pr = p_pr.numPr if p_pr is not None else None
    ilvl = None
    if num_pr is not None:
        if num_pr.ilvl is not None:
            ilvl = num_pr.ilvl.val
        if num_pr.numId is not None:
            return (str(num_pr.numId.val), ilvl or 0) if num_pr.numId.val != 0 else None
    style = paragraph.style
    while style is not None:
        s_pr = style.element.pPr
        style_num = s_pr.numPr if s_pr is not None else None
        if style_num is not None and style_num.numId is not None:
            if style_num.numId.val == 0:
                return None
            level = ilvl if ilvl is not None else (style_num.ilvl.val if style_num.ilvl is not None else 0)
            return str(style_num.numId.val), level
        style = style.base_style
    return None
