"""One convention for the analysed text, with a map back to the source.

NFKC folds full-width forms (，：（） -> ,:()) so patterns need one spelling;
circled numerals (①) are kept because they are outline markers, and NFKC
would make them plain digits. Horizontal spaces between Chinese characters
are removed (`索 引 号` -> `索引号`), other runs become one space; blank and
chrome lines are dropped; lines are joined by a single newline.
"""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy
import regex


from bulletin_miner import vocab

_PROTECTED = {chr(c) for c in range(0x2460, 0x2474)}  # ① … ⑳
_PROTECTED_RE = regex.compile("[\u2460-\u2473]")


@dataclass(frozen=True)
class NormalizedText:
    """The analysed text and its map back to the source text, as offset runs:
    flat triples (text start, source start, length) where both advance together."""

    text: str
    runs: tuple[int, ...]

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
            _, src, length = self.runs[k:k + 3]
            out.extend(range(src, src + length))
        return out

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Source span of a normalised span (end exclusive)."""
        return source_span(list(self.runs), start, end)


def offset_runs(offsets: tuple[int, ...] | list[int]) -> list[int]:
    if not len(offsets):
        return []
    source = numpy.asarray(offsets, dtype=numpy.int64)
    starts = numpy.concatenate(([0], numpy.flatnonzero(numpy.diff(source) != 1) + 1))
    lengths = numpy.diff(numpy.concatenate((starts, [len(source)])))
    return numpy.column_stack((starts, source[starts], lengths)).ravel().tolist()


def source_span(runs: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a span of the normalised text back to the source through offset runs.

    >>> source_span([0, 0, 2, 2, 5, 2], 1, 3)
    (1, 6)
    """
    def point(i: int) -> int:
        for k in range(0, len(runs), 3):
            text_start, src_start, length = runs[k:k + 3]
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

    def is_chrome(self, line: str) -> bool:
        return len(line) <= self.max_len and self.line.search(line) is not None


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
    # two searches of the whole text instead of two for every line (most texts have neither)
    plain = not _PROTECTED_RE.search(source) and not _MARK.search(source)
    parts: list[str] = []
    runs: list[int] = []
    length = 0
    position = 0
    for raw_line in source.splitlines(keepends=True):
        line_start = position
        position += len(raw_line)
        line, offsets = _fold_line(raw_line.rstrip("\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"), line_start, plain)
        if not line:
            continue
        cut = [m.span() for m in chrome.inline.finditer(line)]
        if cut:
            per_char = offsets if isinstance(offsets, list) else list(range(offsets, offsets + len(line)))
            keep = [i for i in range(len(line)) if not any(a <= i < b for a, b in cut)]
            chars, kept = _fold_line_pieces([line[i] for i in keep], [per_char[i] for i in keep])
            line, offsets = "".join(chars), kept
        if not line or chrome.is_chrome(line):
            continue
        if parts:
            parts.append("\n")
            runs += [length, max(line_start - 1, 0), 1]
            length += 1
        parts.append(line)
        if isinstance(offsets, int):  # the line maps character to character
            runs += [length, offsets, len(line)]
        else:
            line_runs = offset_runs(offsets)
            for k in range(0, len(line_runs), 3):
                runs += [line_runs[k] + length, line_runs[k + 1], line_runs[k + 2]]
        length += len(line)
    return NormalizedText("".join(parts), tuple(runs))


_MARK = regex.compile(r"\p{M}")
_SPACE = regex.compile(r"\s")


def _fold_line(raw: str, base: int, plain: bool = False) -> tuple[str, int | list[int]]:
    """A line folded, with its offsets: the source offset of its first character
    when it maps character to character, else one offset per character.
    `plain`: the line is known to hold no combining mark and no circled numeral."""
    # Fast path: NFKC changing no length on a line without combining marks or
    # circled numerals maps character to character (the common case).
    if plain or (not _PROTECTED_RE.search(raw) and not _MARK.search(raw)):
        folded = unicodedata.normalize("NFKC", raw)
        if len(folded) == len(raw):
            if not _SPACE.search(folded):
                return folded, base
            chars = [" " if ch.isspace() else ch for ch in folded]
            chars, offsets = _fold_line_pieces(chars, list(range(base, base + len(raw))))
            return "".join(chars), offsets
    chars = []
    offsets = []
    for i, ch in enumerate(raw):
        folded = _fold(ch) if not ch.isascii() or ch == "\t" else ch
        if folded == "\t":
            folded = " "
        for piece in folded:
            chars.append(piece)
            offsets.append(base + i)
    chars, offsets = _fold_line_pieces(chars, offsets)
    return "".join(chars), offsets


def _fold_line_pieces(chars: list[str], offsets: list[int]) -> tuple[list[str], list[int]]:
    """Collapse spaces: none at the ends or between wide characters, else one."""
    out_c: list[str] = []
    out_o: list[int] = []
    pending: int | None = None  # offset of a space run waiting for its right neighbour
    for ch, off in zip(chars, offsets):
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


