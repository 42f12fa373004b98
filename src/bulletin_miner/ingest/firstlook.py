"""A crawl's first look: may a captured page be an inspection document at all?

Most pages of a government site's crawl are about anything else. Before the
pipeline, a page is looked at as bytes: one that holds none of the words of
resources/firstlook.yml, in none of the encodings pages come in (UTF-8,
GB18030, Big5, UTF-16) nor as HTML character references (&#24033;), cannot
be one, and is counted instead of extracted. The look costs a few byte
searches, a small part of a millisecond. A PDF, Word, OFD or RTF file keeps
its text compressed or escaped, so it always goes on to the pipeline.
"""

from __future__ import annotations

import functools

import regex

from bulletin_miner import vocab

ENCODINGS = ("utf-8", "gb18030", "big5", "utf-16-le", "utf-16-be")
# Media whose bytes show their text (the rest is looked at by the pipeline).
TEXT_MEDIA = frozenset({"text/html", "application/xhtml+xml", "text/plain", ""})


@functools.lru_cache(maxsize=1)
def _needles() -> tuple[tuple[bytes, ...], regex.Pattern]:
    words = vocab.load("firstlook")["words"]
    raw = set()
    for word in words:
        for encoding in ENCODINGS:
            try:
                raw.add(word.encode(encoding))
            except UnicodeEncodeError:
                continue
    # a word's first character as a character reference, decimal or hex (&#24033; &#x5DE1;)
    references = {f"&#{ord(w[0])};".encode() for w in words} | {f"&#x{ord(w[0]):x};".encode() for w in words}
    pattern = regex.compile(b"|".join(regex.escape(r) for r in sorted(references)), regex.IGNORECASE)
    return tuple(sorted(raw, key=len)), pattern


def may_be_inspection(payload: bytes, media_type: str = "") -> bool:
    """Whether a captured payload may be an inspection document (False: it cannot be).

    >>> may_be_inspection("县委巡察组反馈".encode("gb18030"), "text/html"), may_be_inspection("天气预报".encode(), "text/html")
    (True, False)
    >>> may_be_inspection(b"<p>&#24033;&#23519;</p>", "text/html"), may_be_inspection(b"%PDF-1.7 ...", "application/pdf")
    (True, True)
    """
    if media_type not in TEXT_MEDIA:
        return True
    words, references = _needles()
    return any(word in payload for word in words) or references.search(payload) is not None
