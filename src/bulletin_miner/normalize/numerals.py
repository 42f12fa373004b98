"""Chinese and Arabic numerals as integers.

cn2an converts an isolated numeral correctly but corrupts running text
(`统一部署` -> `统1部署`), so callers pass only the numeral itself.

A numeral of digit characters alone (三, 二〇二四) is read from the
lexicon's table; cn2an, for numerals with units (十六, 一百零五), is imported
when the first of them comes: it compiles its patterns as it loads, 0.1 s of
a lone worker's start, and most documents' numerals are single digits
(一是 … 五是, 三方面).
"""

from __future__ import annotations

import functools

from bulletin_miner import vocab


@functools.lru_cache(maxsize=1)
def _digit_by_char() -> dict[str, str]:
    # year-style digit strings (二〇二四) are read digit by digit, not as a value
    return {str(k): str(v) for k, v in vocab.table("lexicon", "digit_by_char").items()}


@functools.lru_cache(maxsize=4096)
def parse_int(numeral: str) -> int | None:
    """The integer a numeral writes, or None when it is not a numeral.

    >>> [parse_int(s) for s in ["16", "三", "十六", "二十八", "两", "一百零五", "二〇二四", "１６"]]
    [16, 3, 16, 28, 2, 105, 2024, 16]
    >>> parse_int("方面") is None and parse_int("") is None
    True
    """
    text = numeral.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if all(ch.isdigit() for ch in text):  # full-width digits
        try:
            return int(text)
        except ValueError:
            return None
    digits = _digit_by_char()
    if all(ch in digits for ch in text):
        return int("".join(digits[ch] for ch in text))
    import cn2an

    try:
        value = cn2an.cn2an(text, "strict")
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        try:
            value = cn2an.cn2an(text, "normal")
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


def to_chinese_ordinal(numeral: str) -> str:
    """Write an ordinal's number in Chinese, as inspection teams are named.

    >>> to_chinese_ordinal("2"), to_chinese_ordinal("十二"), to_chinese_ordinal("12")
    ('二', '十二', '十二')
    """
    value = parse_int(numeral)
    if value is None or not numeral.isascii():
        return numeral
    import cn2an

    return cn2an.an2cn(str(value), "low")
