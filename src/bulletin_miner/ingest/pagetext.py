"""The text of a fixed-layout document (PDF, OFD) from its pages' lines: the
page numbers out, the lines the page's width broke rejoined.

Both readers use it; it knows no file format.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

from bulletin_miner import vocab

# A PDF's text layer breaks every paragraph where the page's width ends it
# (二 | 是完善制度, 2024年3月 | 21日). A line that reaches the margin ran on to
# the next: the margin is the text's most common line width, in ems (a
# digit or Latin letter is half a Han character), among lines of at least
# WRAP_MIN_EMS; seen in fewer than WRAP_MIN_LINES lines, it is no margin. A
# line WRAP_SLACK_EMS short of it still reaches it (an opening bracket moved
# down beside half-width figures).
WRAP_MIN_EMS = 15
WRAP_MIN_LINES = 3
WRAP_SLACK_EMS = 1.5


def pages_to_text(pages: list[str]) -> str:
    """A fixed-layout document's text from its pages' lines (PDF, OFD): page
    numbers out, the lines the page's width broke rejoined."""
    text = "\n".join(_without_page_number(page) for page in pages)  # a paragraph runs on over a page break too
    return rejoin_wrapped_lines(text)


def _without_page_number(page: str) -> str:
    r"""A page's text without its number, as its first or last line (— 3 —, 第3页).

    >>> _without_page_number("一是加强学习。\n— 3 —\n"), _without_page_number("第2页 共5页\n二是完善制度。\n2024年")
    ('一是加强学习。', '二是完善制度。\n2024年')
    """
    lines = page.strip("\n").split("\n")
    number = vocab.pattern("chrome", "page_number")
    if len(lines) > 1 and number.match(unicodedata.normalize("NFKC", lines[-1])):
        lines.pop()
    if len(lines) > 1 and number.match(unicodedata.normalize("NFKC", lines[0])):
        lines.pop(0)
    return "\n".join(lines)


def rejoin_wrapped_lines(text: str) -> str:
    r"""Join the lines a page's width broke: a line that reaches the margin runs on
    to the next, unless that one starts a heading, or it is itself a heading,
    title or metadata line followed by a full line of body.

    >>> rejoin_wrapped_lines("一是加强学习。组织全体干部集中学\n习十二次，撰写心得体会。二是完善\n制度。新制定规则三项，修订两项。\n三是严肃纪律，查处违纪问题五件。\n（二）关于作风的问题")
    '一是加强学习。组织全体干部集中学习十二次，撰写心得体会。二是完善制度。新制定规则三项，修订两项。三是严肃纪律，查处违纪问题五件。\n（二）关于作风的问题'
    >>> rejoin_wrapped_lines("The bureau rectified every issue\nfound by the inspection team and\nreported on its progress in full\nby the end of the year.")
    'The bureau rectified every issue found by the inspection team and reported on its progress in full by the end of the year.'
    >>> rejoin_wrapped_lines("短行\n不是折行")  # no margin seen: the text is left as it is
    '短行\n不是折行'
    """
    lines = text.split("\n")
    widths = [_ems(line) for line in lines]
    common = Counter(round(w) for w in widths if w >= WRAP_MIN_EMS).most_common(1)
    if not common or common[0][1] < WRAP_MIN_LINES:
        return text
    reaches = common[0][0] - WRAP_SLACK_EMS
    header_lines = int(vocab.load("layout")["title_search_lines"])
    out = [lines[0]]
    for i, (previous, width, line) in enumerate(zip(lines, widths, lines[1:], strict=False)):  # each line after the one before it
        # a heading (or 整改情况:) starts a line even after a full one (a wrap
        # falling just before 一、 or (二) is rarer than a heading that fills
        # its line); a heading, a title or a metadata line that filled its
        # line ends there when a full line of body follows (a short line after
        # one is the rest of it: …整改进展情况 | 的通报)
        ended = _starts_heading(line) or (
            widths[i + 1] >= reaches and (_starts_heading(previous) or (i < header_lines and _is_header_line(previous)))
        )
        if width >= reaches and line.strip() and not ended:
            # Han text runs on without a space; English words broken at one had it
            # (not an e-mail or web address: czclbgs@si | na.com)
            out[-1] += (
                " " + line
                if previous[-1:].isascii()
                and previous[-1:].isalpha()
                and line[:1].isascii()
                and line[:1].isalpha()
                and not _ends_in_address(previous)
                else line
            )
        else:
            out.append(line)
    return "\n".join(out)


_ADDRESS_TAIL = re.compile(r"(?:[A-Za-z0-9._%+-]+@|https?://|www\.)[A-Za-z0-9._/%+-]*$")


def _ends_in_address(line: str) -> bool:
    """Whether a line ends inside an e-mail or web address (its break is no space).

    >>> _ends_in_address("电子邮箱:czclbgs@si"), _ends_in_address("网址:www.sanmen.gov"), _ends_in_address("the inspection team and")
    (True, True, False)
    """
    return _ADDRESS_TAIL.search(line) is not None


def _is_header_line(line: str) -> bool:
    line = unicodedata.normalize("NFKC", line).rstrip()  # the patterns read NFKC text
    return bool(vocab.pattern("layout", "title_end").search(line) or vocab.pattern("metadata", "label_line").search(line))


def _ems(line: str) -> float:
    """A line's width as set in a Chinese font: half an em for a narrow character, one for the rest."""
    return sum(0.5 if unicodedata.east_asian_width(ch) in ("Na", "H") else 1.0 for ch in line)


def _starts_heading(line: str) -> bool:
    head = unicodedata.normalize("NFKC", line.lstrip()[:12])  # the outline's patterns are written as NFKC reads them
    return any(marker.match(head) for marker in _heading_markers())


@functools.lru_cache(maxsize=1)
def _heading_markers() -> list:
    fragments = vocab.defines("outline")
    markers = [vocab.compile_pattern(m["pattern"], fragments, "outline") for m in vocab.load("outline")["markers"]]
    return [*markers, vocab.pattern("outline", "rectification_label")]
