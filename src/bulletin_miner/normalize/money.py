"""Amounts of money in yuan, computed exactly.

`66.57万` is 665700, not 665699.9999: arithmetic is Decimal throughout and
a float is made only when a table is written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

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

    As finance offices write them: separators, capital numerals, 角 and 分.

    >>> [str(parse_amount(s).yuan) for s in ["82,225.00元", "1,200万元", "壹万二千三百四十五元", "肆佰叁拾萬圆整"]]
    ['82225.00', '12000000', '12345', '4300000']
    >>> [str(parse_amount(s).yuan) for s in ["六十四万零一百四十三元一角七分", "3元5角", "12元8分"]]
    ['640143.17', '3.5', '12.08']
    >>> parse_amount("12,30元") is None and parse_amount("1234,567元") is None
    True
    """
    match = vocab.pattern("lexicon", "amount").match(text.strip())
    if not match:
        return None
    number = match.group("number").replace(",", "")
    if number[0].isdigit():
        value = Decimal(number)
    else:
        whole = parse_int(number)
        if whole is None:
            return None
        value = Decimal(whole)
    scale_text = match.group("scale") or ""
    scale = Decimal(1)
    factors = vocab.table("lexicon", "scale")
    for ch in scale_text:
        scale *= Decimal(factors[ch])
    value *= scale
    for unit, fraction in (("jiao", Decimal("0.1")), ("fen", Decimal("0.01"))):
        digit = match.group(unit)
        if digit:
            count = parse_int(digit)
            if count is None:
                return None
            value += count * fraction
    if match.group("approx"):
        exactness = "approximate"
    elif match.group("more1") or match.group("more2"):
        exactness = "lower_bound"
    else:
        exactness = "exact"
    return Amount(value, text, exactness)


def percent_to_fraction(text: str) -> float | None:
    """A written percentage as a fraction.

    >>> percent_to_fraction("96%"), percent_to_fraction("100%"), percent_to_fraction("97.5%")
    (0.96, 1.0, 0.975)
    """
    match = regex.match(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*[%%]\s*$", text)
    if not match:
        return None
    return float(Decimal(match.group(1)) / Decimal(100))
