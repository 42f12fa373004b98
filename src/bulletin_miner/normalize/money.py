"""Amounts of money in yuan, computed exactly.

`66.57万` is 665700, not 665699.9999: arithmetic is Decimal throughout and
a float is made only when a table is written.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import regex

from bulletin_miner import vocab
from bulletin_miner.normalize.numerals import parse_int


@dataclass(frozen=True)
class Amount:
    """A stated amount: its value in yuan and how exact the text says it is."""

    yuan: Decimal
    text: str
    exactness: str  # "exact", "lower_bound" (余/多) or "approximate" (约/近)


@functools.lru_cache(maxsize=4096)  # pure; its Amount is immutable
def parse_amount(text: str) -> Amount | None:
    """The yuan a written amount states; None when it is not an amount.

    >>> parse_amount("3.0034万元")
    Amount(yuan=Decimal('30034.0000'), text='3.0034万元', exactness='exact')
    >>> parse_amount("101万余元").exactness, int(parse_amount("101万余元").yuan)
    ('lower_bound', 1010000)
    >>> [int(parse_amount(s).yuan) for s in ["1.2亿元", "5000元", "66.57万元", "三万元", "5000元整"]]
    [120000000, 5000, 665700, 30000, 5000]
    >>> parse_amount("近6亿元").exactness
    'approximate'
    >>> parse_amount("元") is None and parse_amount("3万人") is None
    True
    """
    match = vocab.pattern("lexicon", "amount").match(text.strip())
    if not match:
        return None
    number = match.group("number")
    try:
        value = Decimal(number) if number[0].isdigit() else Decimal(parse_int(number) or 0)
    except InvalidOperation:
        return None
    if not number[0].isdigit() and parse_int(number) is None:
        return None
    scale_text = match.group("scale") or ""
    scale = Decimal(1)
    factors = vocab.table("lexicon", "scale")
    for ch in scale_text:
        scale *= Decimal(factors[ch])
    if match.group("approx"):
        exactness = "approximate"
    elif match.group("more1") or match.group("more2"):
        exactness = "lower_bound"
    else:
        exactness = "exact"
    return Amount(value * scale, text, exactness)


def percent_to_fraction(text: str) -> float | None:
    """A written percentage as a fraction.

    >>> percent_to_fraction("96%"), percent_to_fraction("100%"), percent_to_fraction("97.5%")
    (0.96, 1.0, 0.975)
    """
    match = regex.match(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*[%%]\s*$", text)
    if not match:
        return None
    return float(Decimal(match.group(1)) / Decimal(100))
