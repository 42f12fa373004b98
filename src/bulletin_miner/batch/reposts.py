"""One bulletin served by two pages (a city's site and a county's) is one
document: what they share is their analysed text (page chrome is gone
already) less their metadata lines."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from bulletin_miner import vocab
from bulletin_miner.config import MAX_LABEL_LINE_CHARS
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.limits import shown

if TYPE_CHECKING:
    from bulletin_miner.ingest.warc import Source


def text_fingerprint(text: str) -> bytes | None:
    r"""What two pages of one bulletin share: its analysed text (page chrome is
    gone already) less its metadata lines (来源, 发布时间, 索引号 …), hashed;
    None when nothing else is left.

    >>> a = text_fingerprint("关于巡察整改情况的通报\n来源:县纪委 发布时间:2024-10-12\n追回资金3万元。")
    >>> a == text_fingerprint("关于巡察整改情况的通报\n来源:市纪委\n追回资金3万元。"), a == text_fingerprint("关于巡察整改情况的通报\n追回资金4万元。")
    (True, False)
    """
    pieces, kept_from = [], 0
    for label in vocab.pattern("metadata", "label_line").finditer(text):  # one scan of the text, not one a line
        start = text.rfind("\n", 0, label.start()) + 1
        end = text.find("\n", label.start())
        end = len(text) if end < 0 else end
        if start >= kept_from and end - start <= MAX_LABEL_LINE_CHARS:  # each line once
            pieces.append(text[kept_from:start])
            kept_from = end + 1
    body = "".join(pieces) + text[kept_from:] if pieces else text
    return hashlib.sha256(body.encode()).digest()[:16] if body.strip() else None


def reposted(fingerprint: bytes | None, path: Source, same_text: dict[bytes, Source], errors: list[BulletinError]) -> bool:
    """Whether an earlier document has this text (by its text_fingerprint): then
    it is reported, not written; else it is remembered."""
    if fingerprint is None:
        return False
    first = same_text.setdefault(fingerprint, path)
    if first == path:
        return False
    errors.append(
        BulletinError(
            ErrorKind.DUPLICATE,
            f"same text as {shown(first)} but for page chrome and metadata lines (the bulletin on another page); not counted twice",
            path=shown(path),
            stage="write",
        )
    )
    return True
