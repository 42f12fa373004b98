"""OFD documents (GB/T 33190, China's fixed-layout format): the text the pages draw.

An OFD file is a zip of XML parts: OFD.xml names each document's root
(DocRoot), its Document.xml lists the pages (BaseLoc), and each page's
Content.xml draws text objects. A text object (TextObject) is placed by its
Boundary (x y w h, in mm from the page's top left) and an optional
transform (CTM); its text codes (TextCode) place their first character at
X, Y inside it and each next one DeltaX (DeltaY) further on, `g 3 5.6`
standing for three steps of 5.6. Converters from Word write one object a
character as often as one a line, in no particular order, so the page's
lines are rebuilt from where each character stands: by baseline, then left
to right. Then, as for a PDF, page numbers go and the lines the page's width
broke are rejoined (pagetext.rejoin_wrapped_lines).

No maintained Python package reads OFD's text (ofdreader 0.1.0's wheel holds
no code); the parts are read with lxml, entities and network access off.
Only the pages' own content is read: templates (letterheads shared by
pages), annotations and seals are parts of their own, not the document's
text. A package's first document is read (a second is rare).
"""

from __future__ import annotations

import itertools
import math
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.etree

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.pagetext import pages_to_text
from bulletin_miner.limits import LIMITS

# Pages read from one document at most (as for a PDF).
# No real page draws more characters than this (a dense page holds a few
# thousand); past it a page is cut, so a 1 MB file of 18 million glyphs
# builds no 18 million objects.
MAX_GLYPHS_PER_PAGE = 20_000
# Characters whose baselines lie closer than this share of the font size are on one line.
SAME_LINE = 0.5
# A gap wider than this share of the font size between two characters on a
# line is a space (one is half an em; a justified line of Han characters
# spreads them by less).
WORD_GAP = 0.3
# Two of the same character this close (a share of the size) are one drawn twice (fake bold).
SAME_PLACE = 0.15

_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Glyph:
    x: float  # left edge, mm from the page's left
    baseline: float  # mm from the page's top
    size: float  # font size, mm
    char: str


class _Damaged(Exception):
    pass


def ofd_to_text(archive: zipfile.ZipFile, path: str | None = None) -> tuple[str, tuple[str, ...]]:
    """The text of an OFD package's first document (its pages' lines, rejoined), and what reading it noticed."""
    names = set(archive.namelist())
    try:
        root = _xml(archive, "OFD.xml")
        doc_root = _first_text(root, "DocRoot")
        if not doc_root:
            raise _Damaged("OFD.xml names no document (DocRoot)")
        document_path = _resolve("", doc_root)
        if document_path not in names:
            raise _Damaged(f"the document {doc_root} is not in the package")
        document = _xml(archive, document_path)
        pages = [_resolve(posixpath.dirname(document_path), page.get("BaseLoc", "")) for page in document.iter("{*}Page") if page.get("BaseLoc")]
        read = pages[: LIMITS.max_pages]
        missing = [n for n, page in enumerate(read, start=1) if page not in names]
        crowded: list[int] = []
        lines_by_page = []
        for number, page in enumerate(read, start=1):
            if page not in names:
                continue
            glyphs = list(itertools.islice(_glyphs(_xml(archive, page)), MAX_GLYPHS_PER_PAGE + 1))
            if len(glyphs) > MAX_GLYPHS_PER_PAGE:
                crowded.append(number)
            lines_by_page.append(page_lines(iter(glyphs[:MAX_GLYPHS_PER_PAGE])))
    except (
        _Damaged,
        lxml.etree.XMLSyntaxError,
        ValueError,
        KeyError,
        zipfile.BadZipFile,
        EOFError,
        OSError,
        zlib.error,
        NotImplementedError,
        RuntimeError,
    ) as err:  # RuntimeError: a member encrypted
        raise BulletinError(ErrorKind.CORRUPT, f"the OFD document cannot be read: {type(err).__name__}: {err}", path=path) from None
    if not any(line.strip() for lines in lines_by_page for line in lines):
        raise BulletinError(ErrorKind.NO_TEXT, "the OFD document draws no text (a scan?); OCR is not attempted", path=path)
    warnings = []
    if missing:
        warnings.append(f"ofd: page(s) {', '.join(map(str, missing))} listed but not in the package; left out")
    if len(pages) > LIMITS.max_pages:
        warnings.append(f"ofd: {len(pages)} pages; only the first {LIMITS.max_pages} are read")
    if crowded:
        warnings.append(f"ofd: page(s) {', '.join(map(str, crowded))} draw over {MAX_GLYPHS_PER_PAGE} characters (no page holds so many); cut there")
    return pages_to_text(["\n".join(lines) for lines in lines_by_page]), tuple(warnings)


def _xml(archive: zipfile.ZipFile, name: str):
    with archive.open(name) as member:
        return lxml.etree.fromstring(member.read(), _PARSER)


def _first_text(root, tag: str) -> str:
    found = next(root.iter(f"{{*}}{tag}"), None)
    return (found.text or "").strip() if found is not None else ""


def _resolve(base: str, location: str) -> str:
    """A part's name in the package: `/Doc_0/…` from its root, `Pages/…` from `base`.

    >>> _resolve("Doc_0", "Pages/Page_0/Content.xml"), _resolve("Doc_0", "/Doc_0/Pages/Page_1/Content.xml")
    ('Doc_0/Pages/Page_0/Content.xml', 'Doc_0/Pages/Page_1/Content.xml')
    """
    location = location.strip().replace("\\", "/")
    joined = location.lstrip("/") if location.startswith("/") else posixpath.join(base, location)
    return posixpath.normpath(joined)


def _numbers(value: str | None, limit: int = 6) -> list[float]:
    """An attribute's first `limit` numbers, `g N v` (N steps of v) spelled
    out: as many as can be used (a DeltaX's, one a character), never as many
    as a file writes (`g 1000000000 5`).

    >>> _numbers("5.6 g 3 2.8 1"), _numbers(None), _numbers("g 1000000000 5", limit=3)
    ([5.6, 2.8, 2.8, 2.8, 1.0], [], [5.0, 5.0, 5.0])
    """
    tokens = (value or "").split()
    out: list[float] = []
    i = 0
    while i < len(tokens) and len(out) < limit:
        if tokens[i] == "g" and i + 2 < len(tokens):
            out += [float(tokens[i + 2])] * max(0, min(int(float(tokens[i + 1])), limit - len(out)))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


def _glyphs(page) -> Iterator[Glyph]:
    """Every character the page's content draws, where it stands."""
    for text_object in page.iter("{*}TextObject"):
        box = _numbers(text_object.get("Boundary"))
        if len(box) < 2:
            continue
        ctm = _numbers(text_object.get("CTM"))
        a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        scale = math.sqrt(abs(a * d - b * c)) or 1.0
        size = float(text_object.get("Size") or 0) or 3.5  # mm; the standard's default is none, 3.5 mm is 10 pt
        x = y = 0.0
        for code in text_object.iter("{*}TextCode"):
            text = code.text or ""
            x = float(code.get("X", x))
            y = float(code.get("Y", y))
            steps_x, steps_y = _numbers(code.get("DeltaX"), len(text)), _numbers(code.get("DeltaY"), len(text))
            for i, char in enumerate(text):
                if i:
                    x += steps_x[i - 1] if i - 1 < len(steps_x) else size * (0.5 if text[i - 1].isascii() else 1.0)
                    y += steps_y[i - 1] if i - 1 < len(steps_y) else 0.0
                if not char.isspace():
                    yield Glyph(box[0] + a * x + c * y + e, box[1] + b * x + d * y + f, size * scale, char)
            if text:  # the next code without its own X starts after this one's last character
                x += size * (0.5 if text[-1].isascii() else 1.0)


def page_lines(glyphs: Iterator[Glyph]) -> list[str]:
    """A page's lines, top to bottom, each left to right.

    >>> g = [Glyph(25, 20, 5, "二"), Glyph(20, 20.4, 5, "一"), Glyph(20, 30, 5, "三"), Glyph(20.3, 30, 5, "三"), Glyph(40, 30, 5, "四")]
    >>> page_lines(g)  # 一 and 二 on one baseline; 三 drawn twice is one; a gap is a space
    ['一二', '三 四']
    """
    lines: list[list[Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: (g.baseline, g.x)):
        if lines and glyph.baseline - lines[-1][0].baseline <= SAME_LINE * max(glyph.size, lines[-1][0].size):
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    out = []
    for line in lines:
        line.sort(key=lambda g: g.x)
        kept: list[Glyph] = []
        for glyph in line:
            if kept and glyph.char == kept[-1].char and abs(glyph.x - kept[-1].x) <= SAME_PLACE * glyph.size:
                continue  # drawn twice, a little apart: fake bold
            kept.append(glyph)
        text = []
        for previous, glyph in zip([None, *kept], kept, strict=False):  # each glyph after the one before it (none before the first)
            if previous is not None:
                advance = previous.size * (0.5 if previous.char.isascii() else 1.0)
                if glyph.x - (previous.x + advance) > WORD_GAP * glyph.size:
                    text.append(" ")
            text.append(glyph.char)
        out.append("".join(text))
    return out
