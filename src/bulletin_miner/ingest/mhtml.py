"""Web pages saved as one file (MHTML, .mht/.mhtml: "save as single file" in
Chrome, Edge and Internet Explorer): the page's HTML out of its MIME package.

An MHTML file is a MIME multipart/related message (RFC 2557): the page and
its images, each a part, the page's HTML quoted-printable or base64 in its
own charset. Read as text, it was MIME headers and encoded markup: a
quoted-printable page gave no article at all, a base64 one a "document" of
base64. The standard library's email parser unpacks it.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import re

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.decode import SUPERSET, Decoded, decode

# What opens an MHTML file: MIME headers, one of them a multipart/related
# content type, before the first blank line.
_HEADER_BLOCK = re.compile(rb"\A(?:[\x21-\x39\x3b-\x7e]+:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n)+\r?\n")
_RELATED = re.compile(rb"^content-type:\s*multipart/related", re.IGNORECASE | re.MULTILINE)
_SHIFTED_BASE64 = (email.errors.InvalidBase64LengthDefect, email.errors.InvalidBase64PaddingDefect)


def is_mhtml(data: bytes) -> bool:
    r"""Whether the bytes are a saved page's MIME package.

    >>> is_mhtml(b"From: <Saved by Blink>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype=\"text/html\"\r\n\r\n--b")
    True
    >>> is_mhtml("标题: 关于巡察整改情况的通报\n\n正文".encode()), is_mhtml(b"<html><body>x</body></html>")
    (False, False)
    """
    head = _HEADER_BLOCK.match(data[:16384].lstrip(b"\xef\xbb\xbf\r\n"))
    return bool(head and _RELATED.search(head.group()))


def mhtml_page(data: bytes, path: str | None = None) -> Decoded:
    """The saved page's HTML, decoded: the package's root part (RFC 2557: the
    one its `start` names, else the first), if it is HTML, else its first HTML part."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if not message.is_multipart():
        raise BulletinError(ErrorKind.CORRUPT, "a saved web page (MHTML) whose parts cannot be read", path=path)
    parts = [part for part in message.walk() if not part.is_multipart()]
    start = message.get_param("start")
    # str(): a header holding bytes that are not ASCII comes as an email.header.Header
    root = next((p for p in parts if start and str(p.get("Content-ID", "")).strip() == str(start).strip()), parts[0] if parts else None)
    page = (
        root if root is not None and root.get_content_type() == "text/html" else next((p for p in parts if p.get_content_type() == "text/html"), None)
    )
    if page is None:
        raise BulletinError(ErrorKind.NO_TEXT, "a saved web page (MHTML) that holds no HTML page", path=path)
    body = page.get_payload(decode=True)
    if not isinstance(body, bytes):  # None: an empty part
        body = b""
    # base64 that lost or gained a character: the parser hands back the encoded
    # text itself, and every byte after the damage would be read shifted
    if any(isinstance(defect, _SHIFTED_BASE64) for defect in page.defects):
        raise BulletinError(ErrorKind.CORRUPT, "a saved web page (MHTML) whose base64-encoded page is damaged", path=path)
    return _decoded(body, page.get_content_charset(), path)


# Declared charsets taken at their word when the bytes are valid in them (GB2312
# and GBK read as their superset GB18030). Any other (a Chinese page declared
# ISO-8859-1 decodes without error, as mojibake) is sniffed as any file is.
_DECLARED = {name: SUPERSET.get(name, name) for name in ("utf-8", "gb2312", "gbk", "gb18030", "big5", "utf-16")}


def _decoded(body: bytes, charset: str | None, path: str | None) -> Decoded:
    """The page's bytes as text: in the charset its part declares when that is
    one of _DECLARED and the bytes are valid in it, else as decode() finds."""
    encoding = _DECLARED.get((charset or "").lower())
    if encoding:
        try:
            return Decoded(body.decode(encoding), encoding)
        except UnicodeDecodeError:
            pass  # declared wrongly: sniffed as any file is
    return decode(body, path)
