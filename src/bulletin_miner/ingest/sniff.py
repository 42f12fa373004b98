"""What format a file's bytes are, whatever its name says: sniffed before
any reader (and its libraries) is loaded."""

from __future__ import annotations

from bulletin_miner.ingest.mhtml import is_mhtml


def sniff(data: bytes) -> str | None:
    r"""The format the bytes are, whatever the file's ending says.

    >>> sniff(b"%PDF-1.7 ..."), sniff(b"PK\x03\x04rest"), sniff("通报".encode())
    ('pdf', 'zip', None)
    >>> sniff(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(8)), sniff(b"{\\rtf1\\ansi ...")
    ('ole2', 'rtf')
    >>> sniff(b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n--b")
    'mhtml'
    """
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole2"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return "rtf"
    if is_mhtml(data):
        return "mhtml"
    return None
