"""Web archives in a run: each capture a crawl holds is an input of its own.

The driver reads each archive once (ingest/warc.py): a capture's payload is
hashed for its doc_id (the same bytes saved as a file have the same one) and
given the first look (ingest/firstlook.py) unless the run extracts all; a
worker reads the capture again by its offset. Of several captures of one URL
the latest is kept, and the older ones say so in the errors table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest.firstlook import may_be_inspection
from bulletin_miner.ingest.source import content_id
from bulletin_miner.ingest.warc import Capture, Skipped, scan, unpack_wacz
from bulletin_miner.limits import shown

_EPOCH = dt.datetime.min  # the sort key of a capture without a date
FIRST_LOOK = "first look: no inspection word (resources/firstlook.yml)"


def captures(archive: Path, unpack_into: Path, look: bool) -> Iterator[tuple[Capture, str, int] | Skipped | BulletinError]:
    """(capture, doc_id, payload bytes) of every document an archive holds, or
    a record skipped (and why), or an error row."""
    if archive.name.lower().endswith(".wacz"):
        try:
            warcs = unpack_wacz(archive, unpack_into)
        except BulletinError as err:
            yield err
            return
        if not warcs:
            yield BulletinError(ErrorKind.NO_TEXT, "the .wacz holds no WARC file", path=shown(archive), stage="ingest")
        sources = [(warc, f"{shown(archive)}!{warc.name.split('-', 1)[1]}") for warc in warcs]
    else:
        sources = [(archive, shown(archive))]
    for warc, label in sources:
        try:
            for item in scan(warc, label):
                if not isinstance(item, tuple):
                    yield item
                    continue
                capture, payload = item
                if look and not may_be_inspection(payload, capture.media_type):
                    yield Skipped(FIRST_LOOK)
                    continue
                yield capture, content_id(payload), len(payload)
        except OSError as err:
            yield BulletinError(ErrorKind.UNREADABLE, f"cannot read: {err.strerror}", path=label, stage="ingest")


def older_captures(planned: list[tuple[object, str]]) -> list[tuple[Capture, Capture]]:
    """(older, kept) for every capture of a URL captured again later: the
    latest by WARC-Date is kept (of equal dates, the one read last)."""
    latest: dict[str, Capture] = {}
    for source, _ in planned:
        if isinstance(source, Capture) and source.url:
            held = latest.get(source.url)
            if held is None or (source.crawled_at or _EPOCH) >= (held.crawled_at or _EPOCH):
                latest[source.url] = source
    return [(source, latest[source.url]) for source, _ in planned if isinstance(source, Capture) and source.url and latest[source.url] is not source]


def superseded(older: Capture, kept: Capture) -> BulletinError:
    when = f" of {older.crawled_at:%Y-%m-%d %H:%M:%S}" if older.crawled_at else ""
    return BulletinError(
        ErrorKind.SUPERSEDED,
        f"an older capture{when} of {older.url}; the latest ({kept.source_path}) is kept",
        path=older.source_path,
        stage="ingest",
    )
