"""Calendar dates as written in bulletins, with the year carried over when omitted.

No library carries a bare date's year over from earlier in the text
(LIBRARIES.md), so resolution is explicit here and marks what it inferred.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import regex

from bulletin_miner import vocab
from bulletin_miner.normalize.numerals import parse_int


def _parts() -> regex.Pattern:
    return vocab.pattern("lexicon", "date_parts")


_ISO = regex.compile(r"^(?P<year>[0-9]{4})[-/.](?P<month>[0-9]{1,2})[-/.](?P<day>[0-9]{1,2})")


@dataclass(frozen=True)
class PartialDate:
    """A date as written: any of year, month and day may be missing."""

    year: int | None
    month: int | None
    day: int | None

    @property
    def is_complete(self) -> bool:
        return None not in (self.year, self.month, self.day)

    def to_date(self) -> dt.date | None:
        if self.year is None or self.month is None or self.day is None:
            return None
        try:
            return dt.date(self.year, self.month, self.day)
        except ValueError:
            return None


# Pure, and the same few strings (2023年, 6月8日) recur in every document.
@functools.lru_cache(maxsize=4096)
def parse_partial(text: str) -> PartialDate | None:
    """Split a written date into its parts; None when it is not a date.

    >>> parse_partial("2024年3月21日")
    PartialDate(year=2024, month=3, day=21)
    >>> parse_partial("6月8日")
    PartialDate(year=None, month=6, day=8)
    >>> parse_partial("二〇二四年十二月三十一日")
    PartialDate(year=2024, month=12, day=31)
    >>> parse_partial("2022-11-30 16:18:59")
    PartialDate(year=2022, month=11, day=30)
    >>> parse_partial("13月") is None and parse_partial("") is None
    True
    """
    text = text.strip()
    match = _ISO.match(text) or _parts().match(text)
    if not match or not any(match.groups()):
        return None
    year, month, day = (parse_int(match.group(k)) if match.group(k) else None for k in ("year", "month", "day"))
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= 31:
        return None
    if year is not None and not 1949 <= year <= 2100:
        return None
    return PartialDate(year, month, day)


def resolve(partial: PartialDate, anchor: dt.date | None, *, not_before: bool = False, not_after: bool = False) -> tuple[dt.date | None, bool]:
    """Complete a partial date from an anchor; returns (date, inferred).

    The month is carried over too (`4月15日至20日`). With `not_before`, a date
    that would fall before its anchor moves to the next year: a range end or a
    feedback that follows an inspection (`2021年12月20日至1月18日`). With
    `not_after`, one that would fall after it moves to the year before: what a
    page published on 2020-01-05 reports of `12月20日` happened in 2019.

    >>> resolve(PartialDate(None, 12, 20), dt.date(2020, 1, 5), not_after=True)
    (datetime.date(2019, 12, 20), True)

    >>> resolve(PartialDate(None, 7, 13), dt.date(2022, 6, 8))
    (datetime.date(2022, 7, 13), True)
    >>> resolve(PartialDate(None, 1, 18), dt.date(2021, 12, 20), not_before=True)
    (datetime.date(2022, 1, 18), True)
    >>> resolve(PartialDate(None, 1, 18), None)
    (None, False)
    >>> resolve(PartialDate(2024, 3, 21), None)
    (datetime.date(2024, 3, 21), False)
    """
    if partial.is_complete:
        return partial.to_date(), False
    if anchor is None or partial.day is None:
        return None, False
    month = partial.month if partial.month is not None else anchor.month
    year = partial.year if partial.year is not None else anchor.year
    candidate = PartialDate(year, month, partial.day).to_date()
    if candidate is None:
        return None, False
    if not_before and partial.year is None and candidate < anchor:
        if partial.month is None:  # `20日` after `4月25日`: next month, not next year
            return None, False
        candidate = PartialDate(year + 1, month, partial.day).to_date()
    if not_after and partial.year is None and candidate is not None and candidate > anchor:
        if partial.month is None:
            return None, False
        candidate = PartialDate(year - 1, month, partial.day).to_date()
    return candidate, True
