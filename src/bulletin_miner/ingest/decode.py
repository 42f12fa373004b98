"""Bytes to text: BOMs first, strict UTF-8 next, then detection.

GB18030/GBK and UTF-16 files are common among scraped bulletins; the
encoding is detected (charset-normalizer), never assumed.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

import regex
from charset_normalizer import from_bytes

from bulletin_miner.errors import BulletinError, ErrorKind

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Detection restricted to encodings Chinese bulletins come in; GBK and GB2312
# are read as their superset GB18030.
_CANDIDATES = ["utf_8", "gb18030", "utf_16_le", "utf_16_be", "big5"]
SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "hz": "gb18030"}
# More than this share of control / unassigned characters means the bytes were not text.
MAX_JUNK_SHARE = 0.01
# A UTF-8 text holding a few byte sequences that are not UTF-8 (a stray
# Latin-1 ©, a byte lost in transfer) is still read, when no encoding fits
# strictly: each bad sequence becomes U+FFFD and every other character is
# exactly what was written, since UTF-8 resynchronises at the next character
# and an ASCII byte is always itself. At most this share of the characters.
# GB18030 is never read so: its four-byte sequences hold ASCII digits, and a
# decoder resynchronising there could make a figure up.
MAX_INVALID_UTF8_SHARE = 0.001
UNREADABLE = "\ufffd"


class Decoded(NamedTuple):
    text: str
    encoding: str
    invalid_sequences: int = 0  # byte sequences read as U+FFFD (lenient UTF-8 only)
    padding: int = 0  # NUL characters after the text, cut off


# A page's own charset declaration, in its first bytes (<meta charset="gbk">, content="text/html; charset=gb2312").
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)


def declared_charsets(data: bytes, header: str | None = None) -> list[str]:
    """What the bytes are said to be in: the HTTP header's charset, then the page's own.

    >>> declared_charsets(b'<meta http-equiv="Content-Type" content="text/html; charset=GB2312">', "utf-8")
    ['utf-8', 'gb18030']
    """
    found = [header] if header else []
    meta = _META_CHARSET.search(data[:4096])
    if meta:
        found.append(meta.group(1).decode("ascii"))
    return list(dict.fromkeys(SUPERSET.get(c.lower(), c.lower()) for c in found))


def decode(data: bytes, path: str | None = None, declared: list[str] | tuple[str, ...] = ()) -> Decoded:
    """Decode a file's bytes: the text, its encoding and how many byte sequences could not be read.

    >>> decode("巡察整改".encode("gb18030")).text
    '巡察整改'
    >>> decode(codecs.BOM_UTF8 + "通报".encode())
    Decoded(text='通报', encoding='utf-8', invalid_sequences=0, padding=0)
    >>> decode("通报情况".encode("utf-16")).text
    '通报情况'
    >>> decode("巡察整改".encode()[:-1]).text
    '巡察整'
    >>> decode("巡察整改情况的通报".encode() * 200 + b"\\xa9" + "发现问题16个".encode()).invalid_sequences
    1
    >>> decode("巡察整改".encode() + bytes(500))
    Decoded(text='巡察整改', encoding='utf-8', invalid_sequences=0, padding=500)
    """
    if not data:
        raise BulletinError(ErrorKind.EMPTY, "the file holds no bytes", path=path)
    # NUL bytes after a text that holds none (a download preallocated, a file
    # written in fixed blocks) are padding: cut off before the encoding is
    # detected (a text in UTF-16 holds NULs throughout, and is cut in _checked)
    if data.endswith(b"\x00"):  # most files: no copy of the bytes made
        text_bytes = data.rstrip(b"\x00")
        if text_bytes and b"\x00" not in text_bytes:
            return decode(text_bytes, path)._replace(padding=len(data) - len(text_bytes))
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(_decode_as(data[len(bom) :], encoding, path), encoding, path)
    try:
        return _checked(data.decode("utf-8"), "utf-8", path)
    except UnicodeDecodeError as err:
        # a download cut off inside the last character: keep everything before it
        if err.reason == "unexpected end of data" and err.start >= len(data) - 3:
            return _checked(data[: err.start].decode("utf-8"), "utf-8", path)
    # Valid UTF-8 is UTF-8 whatever a header says (GB18030 reads nearly any
    # bytes, so a stale declaration would turn a UTF-8 page into garbage);
    # otherwise the charset the HTTP header, then the page, declares, if the
    # bytes are valid in it; then detection.
    for encoding in declared:
        try:
            return _checked(data.decode(encoding), encoding, path)
        except (UnicodeDecodeError, LookupError, BulletinError):
            continue
    if b"\x00" in data[:4096]:
        for encoding in ("utf-16-le", "utf-16-be"):
            try:
                return _checked(data.decode(encoding), encoding, path)
            except (UnicodeDecodeError, BulletinError):  # not this byte order, or not text in it
                continue
        raise BulletinError(ErrorKind.BINARY, "binary content (NUL bytes, not UTF-16 text)", path=path)
    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    failure = BulletinError(ErrorKind.UNDECODABLE, "no text encoding (UTF-8, GB18030, UTF-16, Big5) fits these bytes", path=path)
    if best is not None:
        encoding = SUPERSET.get(best.encoding.lower(), best.encoding)
        try:
            return _checked(_decode_as(data, encoding, path), encoding, path)
        except BulletinError as err:
            if err.kind is not ErrorKind.UNDECODABLE:
                raise
            failure = err
    lenient = _mostly_utf8(data)  # only when nothing fits strictly
    if lenient is None:
        raise failure
    return _checked(lenient.text, "utf-8", path)._replace(invalid_sequences=lenient.invalid_sequences)


def _mostly_utf8(data: bytes) -> Decoded | None:
    """The bytes as UTF-8 with each invalid sequence read as U+FFFD, if there are few of them."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count(UNREADABLE) - data.count(UNREADABLE.encode())  # the rest were written as U+FFFD
    if 0 < invalid <= MAX_INVALID_UTF8_SHARE * len(text):
        return Decoded(text, "utf-8", invalid)
    return None


def _decode_as(data: bytes, encoding: str, path: str | None) -> str:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as err:
        raise BulletinError(ErrorKind.UNDECODABLE, f"bytes are not valid {encoding}: {err}", path=path) from None


_JUNK = regex.compile(r"[^\P{C}\t\n\r\f\p{Cf}]")  # control, unassigned, private use, surrogates
# The controls str.split() takes for spaces (the rest of its spaces are not junk).
_JUNK_SPACES = "\x0b\x1c\x1d\x1e\x1f\x85"


def junk_share(text: str) -> float:
    """
    >>> junk_share("巡察整改\\n"), junk_share("巡察\\x00整改")
    (0.0, 0.2)
    """
    if not text:
        return 0.0
    sample = text[:20000]
    # Most texts hold none: without its spaces, a text with no junk is
    # printable (str.isprintable is false for every C category): two C scans
    # instead of a property match at every character.
    if "".join(sample.split()).isprintable() and not any(ch in sample for ch in _JUNK_SPACES):
        return 0.0
    return sum(1 for _ in _JUNK.finditer(sample)) / len(sample)


def _checked(text: str, encoding: str, path: str | None) -> Decoded:
    # NULs after the text (a download preallocated, a file written in fixed
    # blocks) are padding: cut off, not counted against the text as junk
    padded = len(text)
    text = text.rstrip("\x00")
    share = junk_share(text)
    if share > MAX_JUNK_SHARE:
        raise BulletinError(ErrorKind.BINARY, f"decodes as {encoding} but {share:.0%} of it is control or unassigned characters: not text", path=path)
    return Decoded(text, encoding, padding=padded - len(text))
