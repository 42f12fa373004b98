"""A unit's administrative level and sector, from its name alone
(resources/units.yml): what the unit stage records, and what cases.py
compares."""

from __future__ import annotations

import functools

from bulletin_miner import vocab
from bulletin_miner.normalize.region import local_unit


@functools.lru_cache(maxsize=1)
def _cfg():
    fragments = vocab.defines("units")
    levels = [(level, vocab.compile_pattern(p, fragments, "units")) for level, p in vocab.table("units", "admin_level_by_name").items()]
    sectors = [(row["sector"], vocab.compile_pattern(row["pattern"], fragments, "units")) for row in vocab.load("units")["sectors"]]
    return levels, sectors


def sector_of(unit_name: str) -> str | None:
    """The sector a unit's name says it is in.

    >>> sector_of("三门县民政局"), sector_of("浙江大学"), sector_of("城关镇"), sector_of("某某")
    ('civil_affairs', 'university', 'township', None)
    """
    for sector, pattern in _cfg()[1]:
        if pattern.search(unit_name):
            return sector
    return None


def admin_level_of(unit_name: str, county: str | None, city: str | None, province: str | None) -> str | None:
    """central, province, city, county or township.

    >>> admin_level_of("三门县民政局", "三门县", "台州市", "浙江省"), admin_level_of("城关镇", "三门县", "台州市", "浙江省")
    ('county', 'township')
    >>> admin_level_of("国家民委", None, None, None), admin_level_of("某局", None, None, None)
    ('central', None)
    >>> admin_level_of("三门县委组织部", "三门县", "台州市", "浙江省"), admin_level_of("教育部", None, None, None)
    ('county', 'central')
    >>> admin_level_of("国家税务总局三门县税务局", "三门县", "台州市", "浙江省")
    'county'
    """
    for level, pattern in _cfg()[0]:
        if pattern.search(local_unit(unit_name)):
            return level
    if county:
        return "county"
    if city:
        return "city"
    if province:
        return "province"
    return None
