"""Word 97-2003 (.doc) files: the main document's text, read from its piece table.

olefile (maintained, pure Python) opens the OLE2 compound file; what is in
its WordDocument stream is laid out by Microsoft's [MS-DOC] specification:
the File Information Block says how long the main document is and where the
piece table (Clx) lies; each piece is a run of characters stored as UTF-16
or as 8-bit text. No maintained pure-Python package reads this: what exists
guesses where the piece table is and keeps field codes as text.

Only the main document is read (not headers, footers, footnotes or text
boxes), as it reads once its tracked changes are accepted (text struck out
by one is left out), without its hidden text. Field codes are dropped and their results kept (`HYPERLINK "…"`
never reaches the text); a table comes out a line a row, its cells between bars, as a .docx does;
Word's automatic list numbers (一、 (一) 1.), which the text stream does not
hold, are drawn back from the document's lists as for a .docx
(ingest/numbering.py): those a paragraph's own properties give it (a number
a paragraph takes only from its style is not drawn).
Kingsoft WPS Writer's .wps is this format with extensions of its own (as
LibreOffice reads it: its extensions ignored), so it is read the same way;
Microsoft Works' .wps is another format, named and not read.

Nothing in the file is run or fetched: macros, embedded objects and links
are bytes this module never looks at.
"""

from __future__ import annotations

import bisect
import io
import itertools
import re
import struct
from collections.abc import Callable
from typing import NamedTuple

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.numbering import Level, Lists
from bulletin_miner.ingest.office import BAR

# FibBase (the FIB's first 32 bytes, [MS-DOC] 2.5.2)
_WORD_IDENT = 0xA5EC
_FIRST_WORD97_NFIB = 0x00C1  # Word 6.0/95 files (nFib 101-105) are laid out otherwise
_ENCRYPTED = 0x0100  # fEncrypted
_TABLE_STREAM_1 = 0x0200  # fWhichTblStm: the table stream is 1Table, else 0Table
# Pairs (fc, lcb) of FibRgFcLcb97 used here, by index
_PLCF_BTE_CHPX, _PLCF_BTE_PAPX = 12, 13
_CLX = 33
_PLF_LST, _PLF_LFO = 73, 74
# An 8-bit ("compressed") piece is cp1252, its five undefined bytes read as Latin-1.
_COMPRESSED = {b: bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xA0)}

# Characters with a meaning in the text stream ([MS-DOC] 2.8.25)
_PARAGRAPH_END = "\r"
_CELL_END = "\x07"  # also the mark that ends a table row
_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"
_AS_TEXT = {"\x0b": "\n", "\x0c": "\n", "\x1e": "-", "\t": "\t"}  # line/page break, non-breaking hyphen

_SPRM_TTP = (0x2417, 0x244C)  # sprmPFTtp, sprmPFInnerTtp: this paragraph mark ends a table row
_SPRM_DELETED = 0x0800  # sprmCFRMarkDel: a tracked deletion (1; 0x81: the opposite of its style's)
_SPRM_HIDDEN = 0x083C  # sprmCFVanish: hidden text, neither shown nor printed (the same operands)
_SPRM_ILVL, _SPRM_ILFO = 0x260A, 0x460B  # the paragraph's list level, and its list (LFO, from 1)
_SPRM_IN_TABLE = 0x2416  # sprmPFInTable: the paragraph lies in a table cell
_READ_SPRMS = frozenset((*_SPRM_TTP, _SPRM_ILVL, _SPRM_ILFO, _SPRM_IN_TABLE))
_NOT_SHOWN = frozenset((_SPRM_DELETED, _SPRM_HIDDEN))
_SPRM_TDEF_TABLE = (0xD608, 0xD606)
_FIXED_OPERAND = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # by spra, the sprm's top three bits


class _Damaged(Exception):
    """A structure points outside its stream."""


class Fib(NamedTuple):
    """What the File Information Block says, as far as the text needs it."""

    flags: int
    ccp_text: int  # characters in the main document
    clx: tuple[int, int]  # (offset, length) of the piece table's Clx in the table stream
    papx: tuple[int, int]  # (offset, length) of the paragraph properties' page index there
    chpx: tuple[int, int]  # (offset, length) of the character properties' page index there
    lists: tuple[int, int]  # (offset, length) of the lists (PlfLst) there, (0, 0) if none
    list_uses: tuple[int, int]  # (offset, length) of the lists' uses (PlfLfo) there


def doc_to_text(data: bytes, path: str | None = None) -> str:
    """A Word 97-2003 document's main text: a paragraph a line, a table a line a row."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as err:  # olefile raises OSError and others on damaged headers
        raise BulletinError(ErrorKind.CORRUPT, f"not a readable OLE2 file: {type(err).__name__}: {err}", path=path) from None
    with ole:
        if not ole.exists("WordDocument"):
            raise BulletinError(ErrorKind.UNSUPPORTED, _ole_kind(ole), path=path)
        try:
            word = ole.openstream("WordDocument").read()
            fib = _fib(word, path)
            table_name = "1Table" if fib.flags & _TABLE_STREAM_1 else "0Table"
            if not ole.exists(table_name):
                raise BulletinError(ErrorKind.CORRUPT, f"the Word document has no {table_name} stream", path=path)
            table = ole.openstream(table_name).read()
        except (OSError, ValueError, struct.error) as err:
            raise BulletinError(ErrorKind.CORRUPT, f"the Word document cannot be read: {type(err).__name__}: {err}", path=path) from None
    try:
        pieces = _pieces(table, *fib.clx)
        # a tracked deletion is still in the text stream, struck out, and hidden
        # text is there too: read as text, `追回资金5.1→3.0034万元` came out 130,034 yuan
        runs = without(main_text(word, pieces, fib.ccp_text), struck_out_or_hidden(word, table, *fib.chpx))
        paragraphs = Paragraphs(word, table, *fib.papx)
    except (_Damaged, struct.error, IndexError) as err:
        raise BulletinError(ErrorKind.CORRUPT, f"the Word document's text cannot be read: {err}", path=path) from None
    try:
        lists = document_lists(table, fib.lists, fib.list_uses)
    except (struct.error, IndexError, UnicodeDecodeError):
        lists = Lists({}, {})  # lists unreadable: the text without their numbers, as python-docx gives a .docx
    text = "\n".join(
        line.rstrip(" ") for line in as_lines(runs, paragraphs.ends_row, paragraphs.labeller(lists), paragraphs.in_cell).split("\n") if line.strip()
    )
    if not text.strip():
        raise BulletinError(ErrorKind.NO_TEXT, "the Word document holds no text", path=path)
    return text


def _ole_kind(ole) -> str:
    """What an OLE2 file without a Word document is, for the user."""
    for stream, said in (
        # Office 2007+ files saved with a password are compound files around an encrypted package
        ("EncryptedPackage", "an encrypted (password-protected) Office document: not read; save it without a password"),
        ("Workbook", "an Excel 97-2003 workbook: not read"),
        ("Book", "an Excel 5.0/95 workbook: not read"),
        ("PowerPoint Document", "a PowerPoint 97-2003 presentation: not read"),
    ):
        if ole.exists(stream):
            return said
    return "an OLE2 compound file that holds no Word document (a Microsoft Works or other Office file): not read; save it as .docx or PDF"


def _fib(word: bytes, path: str | None) -> Fib:
    """The File Information Block, at the WordDocument stream's start ([MS-DOC] 2.5.1)."""
    if len(word) < 0x40:
        raise BulletinError(ErrorKind.CORRUPT, "the Word document's header is cut short", path=path)
    ident, nfib = struct.unpack_from("<HH", word, 0)
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if ident != _WORD_IDENT:
        raise BulletinError(ErrorKind.CORRUPT, "the WordDocument stream does not start as a Word document", path=path)
    if nfib < _FIRST_WORD97_NFIB:
        raise BulletinError(ErrorKind.UNSUPPORTED, "a Word 6.0/95 document: not read; save it as .docx or PDF", path=path)
    if flags & _ENCRYPTED:
        raise BulletinError(ErrorKind.UNSUPPORTED, "an encrypted (password-protected) Word document: not read", path=path)
    csw = struct.unpack_from("<H", word, 0x20)[0]  # FibRgW97 follows, csw 16-bit values
    lw = 0x22 + 2 * csw
    cslw = struct.unpack_from("<H", word, lw)[0]  # FibRgLw97, cslw 32-bit values
    ccp_text = struct.unpack_from("<I", word, lw + 2 + 3 * 4)[0]
    rg = lw + 2 + 4 * cslw
    cb_rg_fc_lcb = struct.unpack_from("<H", word, rg)[0]
    if cb_rg_fc_lcb <= _CLX:
        raise BulletinError(ErrorKind.CORRUPT, "the Word document's header lists no piece table", path=path)

    def pair(index: int) -> tuple[int, int]:
        return struct.unpack_from("<II", word, rg + 2 + 8 * index)

    lists = (pair(_PLF_LST), pair(_PLF_LFO)) if cb_rg_fc_lcb > _PLF_LFO else ((0, 0), (0, 0))
    return Fib(flags, ccp_text, pair(_CLX), pair(_PLCF_BTE_PAPX), pair(_PLCF_BTE_CHPX), *lists)


# A piece: characters [cp_start, cp_end) stored from byte `offset` of the
# WordDocument stream, one byte each (compressed) or two.
Piece = tuple[int, int, int, bool]


def _pieces(table: bytes, fc_clx: int, lcb_clx: int) -> list[Piece]:
    """The piece table: the Clx's Pcdt, after any Prc (property runs) before it."""
    clx = table[fc_clx : fc_clx + lcb_clx]
    if len(clx) != lcb_clx:
        raise _Damaged("the piece table lies outside the table stream")
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: clxt, cbGrpprl, grpprl
        at += 3 + struct.unpack_from("<h", clx, at + 1)[0]
    if at >= len(clx) or clx[at] != 0x02:
        raise _Damaged("no piece table in the Clx")
    lcb = struct.unpack_from("<I", clx, at + 1)[0]
    plc = clx[at + 5 : at + 5 + lcb]
    if len(plc) != lcb or (lcb - 4) % 12:
        raise _Damaged("the piece table is cut short")
    n = (lcb - 4) // 12
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    pieces = []
    for i in range(n):
        fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * i + 2)[0]
        compressed = bool(fc & 0x40000000)
        offset = (fc & 0x3FFFFFFF) // 2 if compressed else fc & 0x3FFFFFFF
        if cps[i + 1] > cps[i]:
            pieces.append((cps[i], cps[i + 1], offset, compressed))
    return pieces


# A run of the main text: its characters, the byte offset of the first in
# the WordDocument stream, and bytes a character (1 compressed, 2 UTF-16).
# Runs, not a character each: a 20 MB .doc holds 10 million characters.
Run = tuple[str, int, int]


def main_text(word: bytes, pieces: list[Piece], ccp_text: int) -> list[Run]:
    """The main document's characters [0, ccp_text), as runs."""
    runs: list[Run] = []
    for cp_start, cp_end, offset, compressed in pieces:
        if cp_start >= ccp_text:
            break
        count = min(cp_end, ccp_text) - cp_start
        width = 1 if compressed else 2
        raw = word[offset : offset + count * width]
        if len(raw) != count * width:
            raise _Damaged("a piece of text lies outside the WordDocument stream")
        runs.append((raw.decode("latin-1").translate(_COMPRESSED) if compressed else raw.decode("utf-16-le", errors="replace"), offset, width))
    return runs


def without(runs: list[Run], ranges: list[tuple[int, int]]) -> list[Run]:
    """The runs less the characters whose byte offset lies in one of `ranges` (sorted, disjoint).

    >>> without([("甲乙丙丁", 100, 2)], [(102, 106)])  # 乙 at 102 and 丙 at 104 are left out
    [('甲', 100, 2), ('丁', 106, 2)]
    """
    if not ranges:
        return runs
    starts = [a for a, _ in ranges]
    kept: list[Run] = []
    for text, offset, width in runs:
        end = offset + len(text) * width
        k = 0  # the first character not yet decided
        i = max(bisect.bisect_right(starts, offset) - 1, 0)
        while i < len(ranges) and ranges[i][0] < end:
            a, b = ranges[i]
            first = max(-(-(a - offset) // width), 0)  # the first character at or after a
            past = max(-(-(b - offset) // width), 0)  # the first at or after b
            if first > k:
                kept.append((text[k:first], offset + k * width, width))
            k = max(k, past)
            i += 1
        if k < len(text):
            kept.append((text[k:], offset + k * width, width))
    return kept


def _fkp_pages(word: bytes, table: bytes, fc_plcf: int, lcb_plcf: int) -> list[bytes]:
    """The 512-byte property pages (FKPs) a PlcBtePapx or PlcBteChpx lists."""
    plcf = table[fc_plcf : fc_plcf + lcb_plcf]
    if len(plcf) != lcb_plcf or lcb_plcf < 12 or (lcb_plcf - 4) % 8:
        return []
    n = (lcb_plcf - 4) // 8
    pages = []
    for k in range(n):
        page = struct.unpack_from("<I", plcf, 4 * (n + 1) + 4 * k)[0] & 0x3FFFFF
        fkp = word[page * 512 : page * 512 + 512]
        if len(fkp) == 512:
            pages.append(fkp)
    return pages


def struck_out_or_hidden(word: bytes, table: bytes, fc_plcf: int, lcb_plcf: int) -> list[tuple[int, int]]:
    """Byte ranges of the characters struck out by a tracked change or formatted
    hidden (their CHPX pages), so not part of the text as it reads; sorted, merged."""
    ranges: list[tuple[int, int]] = []
    for start, end in sorted(
        (start, end)
        for fkp in _fkp_pages(word, table, fc_plcf, lcb_plcf)
        for start, end, grpprl in _chpx_runs(fkp)
        if any(value in (0x01, 0x81) for value in _sprms(grpprl, _NOT_SHOWN)[0].values())
    ):
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((start, end))
    return ranges


def _chpx_runs(fkp: bytes) -> list[tuple[int, int, bytes]]:
    """A ChpxFkp page's runs of characters: (fc start, fc end, their grpprl)."""
    crun = fkp[511]
    if 4 * (crun + 1) + crun > 511:
        return []
    fcs = struct.unpack_from(f"<{crun + 1}I", fkp, 0)
    runs = []
    for k in range(crun):
        offset = fkp[4 * (crun + 1) + k] * 2
        runs.append((fcs[k], fcs[k + 1], fkp[offset + 1 : offset + 1 + fkp[offset]] if offset else b""))
    return runs


class Paragraphs:
    """The paragraphs' properties, read from the PAPX pages: where each
    paragraph lies (by byte offset) and the few properties read here."""

    def __init__(self, word: bytes, table: bytes, fc_plcf: int, lcb_plcf: int):
        # (fc start, fc end, grpprl), sorted
        self.runs = sorted(run for fkp in _fkp_pages(word, table, fc_plcf, lcb_plcf) for run in _papx_runs(fkp))
        self.starts = [r[0] for r in self.runs]

    def properties(self, fc: int) -> tuple[dict[int, int], bool] | None:
        """The read sprms of the paragraph holding this byte, and whether its
        properties were read through (None: no paragraph is known there)."""
        i = bisect.bisect_right(self.starts, fc) - 1
        if i < 0 or fc >= self.runs[i][1]:
            return None
        return _sprms(self.runs[i][2])

    def ends_row(self, fc: int) -> bool | None:
        """Whether the paragraph mark at this byte ends a table row; None if unknown."""
        found = self.properties(fc)
        if found is None:
            return None
        values, complete = found
        for sprm in _SPRM_TTP:
            if sprm in values:
                return values[sprm] == 1
        return False if complete else None

    def in_cell(self, fc: int) -> bool:
        """Whether the paragraph mark at this byte lies in a table cell (False if unknown)."""
        found = self.properties(fc)
        return bool(found and found[0].get(_SPRM_IN_TABLE))

    def labeller(self, lists: Lists) -> Callable[[int], str]:
        """The list number to draw before the paragraph starting at a byte, in reading order."""

        def label(fc: int) -> str:
            found = self.properties(fc)
            values = found[0] if found else {}
            ilfo = values.get(_SPRM_ILFO, 0)
            return lists.draw(str(ilfo), values.get(_SPRM_ILVL, 0)) if ilfo else ""

        return label


def _papx_runs(fkp: bytes) -> list[tuple[int, int, bytes]]:
    """A PapxFkp page's paragraphs: (fc start, fc end, their grpprl)."""
    crun = fkp[511]
    if 4 * (crun + 1) + 13 * crun > 511:
        return []
    fcs = struct.unpack_from(f"<{crun + 1}I", fkp, 0)
    runs = []
    for k in range(crun):
        b_offset = fkp[4 * (crun + 1) + 13 * k] * 2
        grpprl = b""
        if b_offset:
            cb = fkp[b_offset]
            start, length = (b_offset + 1, 2 * cb - 1) if cb else (b_offset + 2, 2 * fkp[b_offset + 1])
            grpprl = fkp[start + 2 : start + length]  # after the style index (istd)
        runs.append((fcs[k], fcs[k + 1], grpprl))
    return runs


def _sprms(grpprl: bytes, wanted: frozenset[int] = _READ_SPRMS) -> tuple[dict[int, int], bool]:
    """The operands of the `wanted` sprms in a grpprl (read as unsigned little-endian
    integers), and whether the grpprl could be read to its end."""
    values: dict[int, int] = {}
    at = 0
    while at + 2 <= len(grpprl):
        sprm = struct.unpack_from("<H", grpprl, at)[0]
        at += 2
        spra = sprm >> 13
        if spra in _FIXED_OPERAND:
            size = _FIXED_OPERAND[spra]
        elif sprm in _SPRM_TDEF_TABLE and at + 2 <= len(grpprl):
            at, size = at + 2, struct.unpack_from("<H", grpprl, at)[0] - 1
        elif at < len(grpprl) and grpprl[at] != 255:  # a variable operand, its size in its first byte
            at, size = at + 1, grpprl[at]
        else:
            return values, False  # sprmPChgTabs' long form: nothing after it can be found
        if sprm in wanted and at + size <= len(grpprl):
            values[sprm] = int.from_bytes(grpprl[at : at + size], "little")
        at += size
    return values, True


# Number formats (MSONFC, [MS-OSHARED] 2.2.1.3) by their .docx names; others are not drawn.
_NFC = {
    0x00: "decimal",
    0x01: "upperRoman",
    0x02: "lowerRoman",
    0x03: "upperLetter",
    0x04: "lowerLetter",
    0x0E: "decimalFullWidth",
    0x12: "decimalEnclosedCircle",
    0x13: "decimalFullWidth2",
    0x16: "decimalZero",
    0x17: "bullet",
    0x1C: "decimalEnclosedCircleChinese",
    0x1E: "ideographTraditional",
    0x21: "taiwaneseCounting",
    0x23: "taiwaneseCountingThousand",
    0x25: "chineseCounting",
    0x26: "chineseLegalSimplified",
    0x27: "chineseCountingThousand",
    0xFF: "none",
}


def document_lists(table: bytes, lists: tuple[int, int], uses: tuple[int, int]) -> Lists:
    """The document's lists (PlfLst, each LSTF's levels after them) and their
    uses (PlfLfo: a paragraph's sprmPIlfo counts them from 1), as numbering.Lists."""
    fc_lst, lcb_lst = lists
    fc_lfo, lcb_lfo = uses
    if not lcb_lst or not lcb_lfo:
        return Lists({}, {})
    count = struct.unpack_from("<h", table, fc_lst)[0]
    at = fc_lst + 2 + 28 * count  # the levels follow the LSTFs, list after list
    levels: dict[str, dict[int, Level]] = {}
    for k in range(max(count, 0)):
        lstf = fc_lst + 2 + 28 * k
        lsid = struct.unpack_from("<i", table, lstf)[0]
        simple = table[lstf + 26] & 0x01  # fSimpleList: one level, not nine
        own: dict[int, Level] = {}
        for ilvl in range(1 if simple else 9):
            level, at = _level(table, at)
            own[ilvl] = level
        levels[str(lsid)] = own
    uses_count = struct.unpack_from("<i", table, fc_lfo)[0]
    data = fc_lfo + 4 + 16 * max(uses_count, 0)  # each LFO's LFOData, in order, after them all
    nums: dict[str, tuple[str, dict[int, int]]] = {}
    for k in range(max(uses_count, 0)):
        lfo = fc_lfo + 4 + 16 * k
        lsid, overridden = struct.unpack_from("<i", table, lfo)[0], table[lfo + 12]
        data += 4  # the LFOData's cp
        overrides: dict[int, int] = {}
        for _ in range(overridden):
            start, flags = struct.unpack_from("<iI", table, data)
            data += 8
            if flags & 0x10:  # fStartAt
                overrides[flags & 0x0F] = start
            if flags & 0x20:  # fFormatting: a whole level follows; its numbers are not drawn differently here
                _, data = _level(table, data)
        nums[str(k + 1)] = (str(lsid), overrides)
    return Lists(levels, nums)


def _level(table: bytes, at: int) -> tuple[Level, int]:
    """One LVL (LVLF, its paragraph and character properties, its number text) at `at`; and where the next begins."""
    start, nfc, flags = struct.unpack_from("<iBB", table, at)
    places = table[at + 6 : at + 15]  # rgbxchNums: 1-based positions of the level placeholders in the text
    cb_chpx, cb_papx = table[at + 24], table[at + 25]
    xst = at + 28 + cb_papx + cb_chpx
    cch = struct.unpack_from("<H", table, xst)[0]
    text = table[xst + 2 : xst + 2 + 2 * cch].decode("utf-16-le")
    if len(text) != cch:
        raise IndexError("a list level's text is cut short")
    # each placeholder is a character 0-8 naming the level whose number stands there: %1 … %9
    drawn = list(text)
    for place in places:
        if not place:
            break
        if place <= len(text) and ord(text[place - 1]) < 9:  # read from the text: a damaged list may name a place twice
            drawn[place - 1] = f"%{ord(text[place - 1]) + 1}"
    return Level(start, _NFC.get(nfc, f"nfc{nfc}"), "".join(drawn), bool(flags & 0x04)), xst + 2 + 2 * cch


# The characters of the text stream with a meaning of their own: every other is text
_MARKS = re.compile(r"[\x00-\x1f\x7f]")


def as_lines(
    runs: list[Run],
    ends_row: Callable[[int], bool | None] = lambda fc: None,
    label: Callable[[int], str] = lambda fc: "",
    in_cell: Callable[[int], bool] = lambda fc: False,
) -> str:
    r"""The text of the runs: field codes out (their results kept), a
    paragraph a line, each paragraph's list number (`label`, by the byte
    offset it starts at) before it; a table row on one line with its cells
    between bars, as a .docx's and a web page's are, the paragraphs of a
    cell (`in_cell`: the paragraph mark lies in one) run together. Text
    between marks is taken as slices of its run, never character by character.

    >>> as_lines([('见\x13 HYPERLINK "http://x" \x14网站\x15。\r', 0, 1)])
    '见网站。\n'
    >>> row = "甲\x07\x07乙\x07\x07下\r"  # cells 甲, (empty), 乙; the mark at 5 ends the row
    >>> as_lines([(row, 0, 1)], lambda fc: fc == 5)
    '| 甲 |  | 乙 | \n下\n'
    >>> as_lines([(row, 0, 1)])  # unknown: a mark after a mark ends a row (of one cell: no bars)
    '甲\n乙\n下\n'
    >>> as_lines([("一是学习。\r二是考勤。\x07已完成\x07\x07", 0, 1)], lambda fc: fc == 16, in_cell=lambda fc: fc < 16)
    '| 一是学习。 二是考勤。 | 已完成 | \n'
    """
    out: list[str] = []
    line_from = 0  # where in `out` the line being read began
    bars: list[int] = []  # where in `out` the row's cells end
    fields: list[bool] = []  # each open field: whether its result has begun
    paragraph_starts = True  # the next character is a paragraph's first
    after_cell_mark = False  # the character before was a cell mark
    for text, offset, width in runs:
        at = 0
        for mark in itertools.chain(_MARKS.finditer(text), [None]):  # None: the run's end
            k = len(text) if mark is None else mark.start()
            if k > at:  # text up to the mark
                if paragraph_starts:
                    out.append(label(offset + at * width))
                    paragraph_starts = False
                if all(fields):  # not inside a field's instructions
                    out.append(text[at:k])
                after_cell_mark = False
            if mark is None:
                break
            ch, fc, at = mark.group(), offset + k * width, k + 1
            if paragraph_starts:
                out.append(label(fc))
            paragraph_starts = ch in (_PARAGRAPH_END, _CELL_END)
            if ch == _FIELD_BEGIN:
                fields.append(False)
            elif ch == _FIELD_SEPARATOR:
                if fields:
                    fields[-1] = True
            elif ch == _FIELD_END:
                if fields:
                    fields.pop()
            elif all(fields):
                if ch == _PARAGRAPH_END:
                    if in_cell(fc):  # a cell's paragraphs are one cell of the row's line
                        out.append(" ")
                    else:
                        out.append("\n")
                        line_from, bars = len(out), []
                elif ch == _CELL_END:
                    ends = ends_row(fc)
                    if ends is None:  # properties unreadable: a mark right after a mark ends the row
                        ends = after_cell_mark
                    if not ends:
                        bars.append(len(out))
                        out.append(f" {BAR} ")
                    else:
                        if len(bars) == 1:  # a row of one cell is no table (a bulletin laid out in a frame)
                            out[bars[0]] = ""
                        elif bars:
                            out.insert(line_from, f"{BAR} ")
                        out.append("\n")
                        line_from, bars = len(out), []
                elif ch in _AS_TEXT:
                    out.append(_AS_TEXT[ch])
                # other marks (pictures, footnote references, drawn objects) are not text
            after_cell_mark = ch == _CELL_END
    return "".join(out)
