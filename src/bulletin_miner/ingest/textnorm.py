"""One convention for the analysed text, with a map back to the source.

NFKC folds full-width forms (，：（） -> ,:()) so patterns need one spelling;
circled numerals (①) are kept because they are outline markers, and NFKC
would make them plain digits. Traditional characters are read as simplified
(OpenCC's t2s tables, character for character, so offsets hold), since
reposts serve bulletins in traditional script (巡視整改進展情況, 億元) and every
pattern is written in simplified. Horizontal spaces between Chinese characters
are removed (`索 引 号` -> `索引号`), other runs become one space; blank and
chrome lines are dropped; lines are joined by a single newline.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import regex

from bulletin_miner import vocab

_PROTECTED = {chr(c) for c in range(0x2460, 0x2474)}  # ① … ⑳


@dataclass(frozen=True)
class NormalizedText:
    """The analysed text and its map back to the source text, as offset runs:
    flat triples (text start, source start, length) where both advance together."""

    text: str
    runs: tuple[int, ...]
    simplified: int = 0  # characters read as simplified from traditional script
    # the text in the script it was written in, where that differs (same
    # length and offsets): values quoted as written (a title) come from here
    written: str = ""

    def offset_runs(self) -> list[int]:
        """
        >>> NormalizedText("abcd", (0, 0, 2, 2, 5, 2)).offset_runs()
        [0, 0, 2, 2, 5, 2]
        """
        return list(self.runs)

    @property
    def source_offsets(self) -> list[int]:
        """Per character of the text, its offset in the source."""
        out: list[int] = []
        for k in range(0, len(self.runs), 3):
            _, src, length = self.runs[k : k + 3]
            out.extend(range(src, src + length))
        return out

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Source span of a normalised span (end exclusive)."""
        return source_span(list(self.runs), start, end)


def offset_runs(offsets: list[int]) -> list[int]:
    """Per-character source offsets as runs (text start, source start, length).

    >>> offset_runs([4, 5, 6, 9, 10])
    [0, 4, 3, 3, 9, 2]
    """
    runs: list[int] = []
    for i, offset in enumerate(offsets):
        _append_run(runs, i, offset, 1)
    return runs


def _append_run(runs: list[int], text_start: int, source_start: int, length: int) -> None:
    """Add a run, merged into the last one when both advance together from it."""
    if runs and runs[-3] + runs[-1] == text_start and runs[-2] + runs[-1] == source_start:
        runs[-1] += length
    else:
        runs += [text_start, source_start, length]


def source_span(runs: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a span of the normalised text back to the source through offset runs.

    >>> source_span([0, 0, 2, 2, 5, 2], 1, 3)
    (1, 6)
    """

    def point(i: int) -> int:
        for k in range(0, len(runs), 3):
            text_start, src_start, length = runs[k : k + 3]
            if text_start <= i < text_start + length:
                return src_start + (i - text_start)
        raise IndexError(i)

    if start >= end:
        return point(start), point(start)
    return point(start), point(end - 1) + 1


@functools.lru_cache(maxsize=65536)
def _fold(ch: str) -> str:
    if ch in _PROTECTED:
        return ch
    folded = unicodedata.normalize("NFKC", ch)
    # NFKC leaves the ideographic space; one convention: an ASCII space.
    return " " if folded.isspace() else folded


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


class _Chrome:
    def __init__(self) -> None:
        data = vocab.load("chrome")
        self.max_len = int(data["max_line_length"])
        patterns = vocab.patterns("chrome", "line")
        # one alternation, one search per line (each line of every document is checked)
        self.line = regex.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
        self.inline = vocab.pattern("chrome", "inline")
        self.pinyin_gloss = vocab.pattern("chrome", "pinyin_gloss")
        self.pinyin_marks = re.compile(vocab.pattern("chrome", "pinyin_marks").pattern)
        self.metadata = vocab.pattern("metadata", "label_line")
        self.raw_line = vocab.pattern("chrome", "raw_line")
        self.footer_marker = vocab.pattern("chrome", "footer_marker")
        self.footer_contact = vocab.pattern("chrome", "footer_contact")
        self.footer_words = vocab.words("chrome", "footer_words")

    def footer_contacts(self, lines: list[str]) -> set[int]:
        """Indexes of the contact lines of a site's footer: short lines naming a
        phone, mailbox or address after the footer's first marker."""
        joined = "\n".join(lines)
        if not any(word in joined for word in self.footer_words):  # most texts have no footer left
            return set()
        first = next((i for i, line in enumerate(lines) if len(line) <= self.max_len and self.footer_marker.search(line)), None)
        if first is None:
            return set()
        return {i for i in range(first, len(lines)) if len(lines[i]) <= self.max_len and self.footer_contact.search(lines[i])}

    def is_chrome(self, line: str) -> bool:
        # a byline that also carries a label (编辑:… 发表时间:2021-11-05 来源:…) is kept for its metadata
        return len(line) <= self.max_len and self.line.search(line) is not None and self.metadata.search(line) is None


@functools.lru_cache(maxsize=1)
def _chrome() -> _Chrome:
    return _Chrome()


def normalize(source: str) -> NormalizedText:
    """Normalise a decoded document, dropping page chrome.

    >>> n = normalize("  标题（一）\\n\\n索 引 号：A1\\n阅读量：95\\n分享到：\\n正文, 内容")
    >>> n.text
    '标题(一)\\n索引号:A1\\n正文, 内容'
    >>> source = "  标题（一）\\n"
    >>> start, end = n.to_source(2, 5); source[start:end]
    '（一）'
    """
    chrome = _chrome()
    # one search of the whole text instead of two for every line (most texts have neither)
    plain = not _may_compose(source)
    folded: list[tuple[str, list[int], int]] = []  # each line, its runs (from the line's start), its source start
    position = 0
    for raw_line in source.splitlines(keepends=True):
        line_start = position
        position += len(raw_line)
        raw = raw_line.rstrip("\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85")
        if not raw:  # a blank line (a quarter of them)
            continue
        if (
            (" " in raw or "\u3000" in raw) and len(raw) <= chrome.max_len and chrome.raw_line.match(raw)
        ):  # a menu bar, spaces still between its words
            continue
        line, line_runs = _fold_line(raw, line_start, plain)
        if line:
            folded.append((line, line_runs, line_start))
    converted: dict[int, str] = {}  # source offset -> the character written there, where converted
    if folded:  # chrome is written in simplified too (閱讀量 is 阅读量)
        folded, converted = _simplify_lines(folded)
    # A match inside a line is a match in the lines joined, or lies under one
    # found there: only the lines those touch are searched line by line (one
    # search of the text instead of one per line; most texts have none).
    if folded:
        lines = [line for line, _, _ in folded]
        for i in _lines_touched(chrome.inline, lines):
            line, line_runs, line_start = folded[i]
            folded[i] = (*_cut_inline(line, line_runs, chrome.inline), line_start)
        if chrome.pinyin_marks.search("".join(lines)):  # a spam site's repost (most texts hold no tone mark)
            for i in _lines_touched(chrome.pinyin_gloss, [line for line, _, _ in folded]):
                line, line_runs, line_start = folded[i]
                folded[i] = (*_cut_inline(line, line_runs, chrome.pinyin_gloss), line_start)
    parts: list[str] = []
    runs: list[int] = []
    length = 0
    footer = chrome.footer_contacts([line for line, _, _ in folded])
    for index, (line, line_runs, line_start) in enumerate(folded):
        if not line or chrome.is_chrome(line) or index in footer:
            continue
        if parts:
            parts.append("\n")
            runs += [length, max(line_start - 1, 0), 1]
            length += 1
        parts.append(line)
        for k in range(0, len(line_runs), 3):
            runs += [line_runs[k] + length, line_runs[k + 1], line_runs[k + 2]]
        length += len(line)
    text = "".join(parts)
    written = ""
    if converted:
        offsets = NormalizedText(text, tuple(runs)).source_offsets
        written = "".join(converted.get(offset, ch) for ch, offset in zip(text, offsets, strict=True))
    return NormalizedText(text, tuple(runs), len(converted), written)


@functools.lru_cache(maxsize=1)
def _t2s():
    """OpenCC's converter from traditional to simplified Chinese (its own tables,
    phrases before characters: 乾隆 stays, 乾淨 becomes 干净)."""
    import opencc

    return opencc.OpenCC("t2s.json")


def to_simplified(line: str) -> str:
    """A line in simplified characters, of the same length (offsets hold).

    >>> to_simplified("巡視整改進展情況的通報,追回資金1.2億元")
    '巡视整改进展情况的通报,追回资金1.2亿元'
    >>> to_simplified("中共三门县民政局党组关于养老领域专项巡察整改进展情况的通报")
    '中共三门县民政局党组关于养老领域专项巡察整改进展情况的通报'
    """
    converter = _t2s()
    out = converter.convert(line)
    if len(out) == len(line):
        return out
    # a phrase that converts to another length: character by character instead
    return "".join(c if len(c := converter.convert(ch)) == 1 else ch for ch in line)


@functools.lru_cache(maxsize=1)
def _traditional_only() -> re.Pattern:
    """The characters t2s changes on their own (3,761 of the CJK blocks): a text
    with none of them is simplified already. One search (0.04 ms for 45 KB)
    spares most texts the conversion (0.17 ms); built once, in 5 ms."""
    chars = "".join(chr(c) for c in range(0x3400, 0xA000))
    converted = _t2s().convert(chars)
    changed = [a for a, b in zip(chars, converted, strict=True) if a != b] if len(converted) == len(chars) else []
    return re.compile("[" + "".join(changed) + "]") if changed else re.compile(r"[\u3400-\u9fff]")


def _simplify_lines(folded: list[tuple[str, list[int], int]]) -> tuple[list[tuple[str, list[int], int]], dict[int, str]]:
    """The lines in simplified characters, and what each changed character was
    (by its source offset)."""
    joined = "\n".join(line for line, _, _ in folded)
    if not _traditional_only().search(joined) or to_simplified(joined) == joined:
        return folded, {}
    out: list[tuple[str, list[int], int]] = []
    converted: dict[int, str] = {}
    for line, line_runs, line_start in folded:
        simple = to_simplified(line)
        if simple != line:
            offsets = [o for k in range(0, len(line_runs), 3) for o in range(line_runs[k + 1], line_runs[k + 1] + line_runs[k + 2])]
            converted.update((offsets[j], a) for j, (a, b) in enumerate(zip(line, simple, strict=True)) if a != b)
        out.append((simple, line_runs, line_start))
    return out, converted


def _ranges(code_points: Iterable[int]) -> str:
    r"""A character class body for sorted code points, as ranges.

    >>> _ranges([0x300, 0x301, 0x302, 0x2460])
    '\\U00000300-\\U00000302\\U00002460'
    """
    runs: list[list[int]] = []
    for c in code_points:
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in runs)


# What NFKC may compose with the character before it: combining marks, and
# Hangul jamo (ㄱㅏ becomes 가); and the circled numerals kept as outline
# markers (_PROTECTED). A line with none of them maps character to character
# whenever NFKC keeps its length; with one, a composition (one fewer) beside
# an expansion (ﬁ -> fi, one more) would keep the length and shift every
# offset after it. The marks are those of the Unicode tables NFKC itself
# uses (unicodedata's). In the BMP they make one class for stdlib re (a
# bitmap: 4x faster than regex's \p{M}, over every character of every
# text); beyond it, where a text rarely reaches, a range check comes first.
_JAMO = (range(0x1100, 0x1200), range(0x3130, 0x3190), range(0xA960, 0xA980), range(0xD7B0, 0xD800), range(0xFFA0, 0xFFDD))
# Where the Unicode tables have marks at all (planes 0, 1 and 14; a test
# holds that the rest has none): reading the categories there takes 11 ms,
# of every code point 130.
_MARK_PLANES = (range(0x20000), range(0xE0000, 0xE1000))


@functools.lru_cache(maxsize=1)
def _composing() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    marks = [c for plane in _MARK_PLANES for c in plane if unicodedata.category(chr(c))[0] == "M"]
    in_bmp = sorted({*(c for c in marks if c < 0x10000), *(c for r in _JAMO for c in r), *range(0x2460, 0x2474)})
    return (
        re.compile("[" + _ranges(in_bmp) + "]"),
        re.compile("[\\U00010000-\\U0010ffff]"),
        re.compile("[" + _ranges(c for c in marks if c >= 0x10000) + "]"),
    )


def _may_compose(text: str) -> bool:
    """Whether `text` holds a character NFKC may compose with the one before it, or a circled numeral."""
    in_bmp, beyond_bmp, in_beyond_bmp = _composing()
    if in_bmp.search(text):
        return True
    return bool(beyond_bmp.search(text) and in_beyond_bmp.search(text))


# What str.isspace() calls a space, inside a line: regex's \s and the unit separator.
_SPACES = regex.compile(r"[\s\x1f]+")


def _fold_line(raw: str, base: int, plain: bool = False) -> tuple[str, list[int]]:
    """A line folded, with its runs back to the source (text starts from the
    line's start, source offsets absolute: `base` is where the line starts).
    `plain`: the line is known to hold no combining mark, jamo or circled numeral.

    >>> _fold_line("  加强  学习 ok  go ", 10)
    ('加强学习 ok go', [0, 12, 2, 2, 16, 6, 8, 23, 2])
    >>> _fold_line("&nbsp;&nbsp;一、关于&ldquo;学习&rdquo;问题", 0)[0]
    '一、关于“学习”问题'
    """
    # Character references left in scraped text (&nbsp; &ldquo; &#12288;) are
    # read as the characters they name, each mapped to its '&'.
    entities = list(_ENTITY.finditer(raw)) if "&" in raw else []
    # Fast path: NFKC changing no length on a line without combining marks,
    # jamo or circled numerals maps character to character (the common case); spaces
    # are then collapsed run by run, not character by character.
    if not entities and (plain or not _may_compose(raw)):
        folded = unicodedata.normalize("NFKC", raw)
        if len(folded) == len(raw):
            return _collapse_spaces(folded, base)
    chars = []
    offsets = []
    for i, unit in _units(raw, entities):
        for ch in unit:
            folded = _fold(ch) if not ch.isascii() or ch == "\t" else ch
            if folded == "\t":
                folded = " "
            for piece in folded:
                chars.append(piece)
                offsets.append(base + i)
    chars, offsets = _fold_line_pieces(chars, offsets)
    return "".join(chars), offset_runs(offsets)


# A character reference with its semicolon: &nbsp; &ldquo; &#12288; &#x3000;
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def _units(raw: str, entities: list[re.Match]) -> Iterable[tuple[int, str]]:
    """Each character of a line with its offset, a known character reference as what it names."""
    at = 0
    for entity in entities:
        named = html.unescape(entity.group())
        if named == entity.group():  # not a reference HTML knows: its characters as written
            continue
        yield from enumerate(raw[at : entity.start()], start=at)
        yield entity.start(), named
        at = entity.end()
    yield from enumerate(raw[at:], start=at)


# The spaces a line can hold once NFKC has folded it (every other space NFKC
# makes one of these, or it breaks the line): tested by the fast path below.
_FOLDED_SPACES = (" ", "\t", "\x1f", "\u1680")


def _collapse_spaces(line: str, base: int) -> tuple[str, list[int]]:
    """What _fold_line_pieces does to a line that maps character to character,
    one space run at a time: none at the ends or between wide characters, else one."""
    if not any(space in line for space in _FOLDED_SPACES):  # most lines: four C scans, no regex
        return line, [0, base, len(line)] if line else []
    pieces: list[str] = []
    runs: list[int] = []
    length = 0
    kept_from = 0  # start of the text not yet kept
    for space in _SPACES.finditer(line):
        a, b = space.span()
        if a > kept_from:
            pieces.append(line[kept_from:a])
            _append_run(runs, length, base + kept_from, a - kept_from)
            length += a - kept_from
        kept_from = b
        if a > 0 and b < len(line) and not (_is_wide(line[a - 1]) and _is_wide(line[b])):
            pieces.append(" ")
            _append_run(runs, length, base + a, 1)
            length += 1
    if kept_from == 0:
        return line, [0, base, len(line)] if line else []
    if kept_from < len(line):
        pieces.append(line[kept_from:])
        _append_run(runs, length, base + kept_from, len(line) - kept_from)
    return "".join(pieces), runs


def _lines_touched(pattern: regex.Pattern, lines: list[str]) -> list[int]:
    """Indexes of the lines that a match of `pattern` in the lines joined by newlines touches.

    >>> _lines_touched(regex.compile(r"阅读量:\\s*[0-9]+"), ["标题", "阅读量:", "95 正文", "阅读量:3"])
    [1, 2, 3]
    """
    joined = "\n".join(lines)
    starts: list[int] = []
    position = 0
    for line in lines:
        starts.append(position)
        position += len(line) + 1
    touched: list[int] = []
    for m in pattern.finditer(joined):
        first, last = bisect.bisect_right(starts, m.start()) - 1, bisect.bisect_right(starts, m.end() - 1) - 1
        touched.extend(range(max(first, touched[-1] + 1) if touched else first, last + 1))
    return touched


def _cut_inline(line: str, line_runs: list[int], inline: regex.Pattern) -> tuple[str, list[int]]:
    """A line without its inline chrome (阅读量:95), spaces collapsed again."""
    cut = [m.span() for m in inline.finditer(line)]
    if not cut:
        return line, line_runs
    per_char: list[int] = []
    for k in range(0, len(line_runs), 3):
        per_char.extend(range(line_runs[k + 1], line_runs[k + 1] + line_runs[k + 2]))
    dropped = bytearray(len(line))  # one pass, not one per cut (a spam page's pinyin cuts a line in dozens of places)
    for a, b in cut:
        dropped[a:b] = b"\x01" * (b - a)
    keep = [i for i in range(len(line)) if not dropped[i]]
    chars, kept = _fold_line_pieces([line[i] for i in keep], [per_char[i] for i in keep])
    return "".join(chars), offset_runs(kept)


def _fold_line_pieces(chars: list[str], offsets: list[int]) -> tuple[list[str], list[int]]:
    """Collapse spaces: none at the ends or between wide characters, else one."""
    out_c: list[str] = []
    out_o: list[int] = []
    pending: int | None = None  # offset of a space run waiting for its right neighbour
    for ch, off in zip(chars, offsets, strict=True):
        if ch.isspace():
            if pending is None:
                pending = off
            continue
        if pending is not None and out_c and not (_is_wide(out_c[-1]) and _is_wide(ch)):
            out_c.append(" ")
            out_o.append(pending)
        pending = None
        out_c.append(ch)
        out_o.append(off)
    return out_c, out_o
