"""Place names to province / city / county with their division code.

cpca ships an offline table of administrative divisions. It is fed only
strings that name places (unit names, titles, addresses): over body text it
turns 县委 into 重庆市 and 公开原则 into 开原市. Its answer is kept only as
far as the input really writes the place (see `_writes`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from types import ModuleType
from typing import IO, NamedTuple

import regex

from bulletin_miner import vocab
from bulletin_miner.startup import import_with_stand_ins


@dataclass(frozen=True)
class Place:
    province: str | None
    city: str | None
    county: str | None
    adcode: str | None

    @property
    def deepest(self) -> str | None:
        return self.county or self.city or self.province


def _stem(name: str) -> str:
    stem = vocab.pattern("lexicon", "place_suffix").sub("", name)
    return stem if len(stem) >= 2 else name


def local_unit(name: str) -> str:
    """A unit's name without the head office of a vertical system before it.

    >>> local_unit("国家税务总局三门县税务局"), local_unit("国家税务总局")
    ('三门县税务局', '国家税务总局')
    """
    return vocab.pattern("lexicon", "vertical_system_prefix").sub("", name)


def _written_levels(text: str, names: list[str | None]) -> list[bool]:
    """Which of province/city/county the text writes, in order, from its start.

    A place name is a unit's or an address's prefix; a name found elsewhere
    in the string (开原 inside 公开原则) is not a place of it. A province's or
    a city's name may be written without its suffix (浙江台州三门县…), but
    only before the next level's name: 中山大学 is not in 中山市, nor 浙江大学
    in 浙江省.
    """
    text = vocab.pattern("lexicon", "party_prefix").sub("", text)
    pos = 0
    written = []
    for level, name in enumerate(names):
        if name and text.startswith(name, pos):
            pos += len(name)
            written.append(True)
        elif name and level < 2 and text.startswith(_stem(name), pos) and _next_level_written(text, pos + len(_stem(name)), names[level + 1 :]):
            # a county's stem is too often a word (合作, 开原) to count without its suffix
            pos += len(_stem(name))
            written.append(True)
        else:
            written.append(False)
    return written


def _next_level_written(text: str, pos: int, lower: list[str | None]) -> bool:
    """Whether a lower level's name (or a city's stem) follows at `pos`, or,
    after a city's stem, a zone it governs (芜湖经济技术开发区)."""
    if len(lower) == 1 and vocab.pattern("lexicon", "city_zone").match(text, pos):
        return True
    for level, name in enumerate(lower):
        if name and (text.startswith(name, pos) or (level == 0 and len(lower) == 2 and text.startswith(_stem(name), pos))):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def resolve_place(text: str) -> Place | None:
    """The place a unit name or address writes, or None.

    >>> resolve_place("中共三门县民政局党组")
    Place(province='浙江省', city='台州市', county='三门县', adcode='331022')
    >>> resolve_place("沧州市残疾人联合会")
    Place(province='河北省', city='沧州市', county=None, adcode='130900')
    >>> resolve_place("徐州市新城区汉风路1号西综合区F603室")
    Place(province='江苏省', city='徐州市', county=None, adcode='320300')
    >>> resolve_place("国家税务总局三门县税务局").adcode
    '331022'
    >>> resolve_place("北京市海淀区卫生健康委员会"), resolve_place("仙桃市民政局").city
    (Place(province='北京市', city=None, county='海淀区', adcode='110108'), None)
    >>> [resolve_place(s) for s in ["县民政局", "公开原则", "合作", "县委", "中山大学", "浙江大学"]]
    [None, None, None, None, None, None]
    >>> resolve_place("永定区"), resolve_place("龙岩市永定区").city
    (Place(province=None, city=None, county='永定区', adcode=None), '龙岩市')
    >>> resolve_place("浙江台州三门县交通路499号").county, resolve_place("芜湖经济技术开发区").city
    ('三门县', '芜湖市')
    """
    text = local_unit(text)
    if not text or len(text) < 2:
        return None
    try:
        row = cpca_record(text)
    except Exception:  # cpca raises on strings it cannot segment; no place then
        return None
    columns = vocab.table("lexicon", "cpca_columns")
    province, city, county, adcode = (row.get(k) or None for k in (columns["province"], columns["city"], columns["county"], "adcode"))
    if city in vocab.load("lexicon")["cpca_placeholder_cities"]:
        city = None
    wrote_province, wrote_city, wrote_county = _written_levels(text, [province, city, county])
    if not wrote_county:
        county = None
    if not (wrote_city or county):
        city = None
    if county and not (wrote_city or wrote_province) and shared_name(county):
        # 永定区 alone: which city's it is, the table cannot say (cpca picks one)
        return Place(None, None, county, None)
    if not (wrote_province or city or county):
        province = None
    if not (province or city or county):
        return None
    return Place(province, city, county, _code(province, city, county, adcode))


def cpca_record(text: str) -> dict[str, str | None]:
    """cpca's answer for one string: the row `cpca.transform([text])` holds.

    `transform` builds a pandas DataFrame around each answer: 1.5 ms a call
    against 6 µs for the lookup, and every document asks for its unit, title
    and address. Its per-string step is taken directly (cpca is pinned
    <0.6; a test checks both agree); should a cpca release drop it, the
    public call is used.
    """
    cpca = _cpca()
    one = getattr(cpca, "_get_one_addr", None)
    if one is None:
        return cpca.transform([text]).iloc[0].to_dict()
    return one(text, False, {})


def _cpca() -> ModuleType:
    """cpca, which loads its table as it is imported (about 20 ms), through
    the one function it uses of pkg_resources. pkg_resources itself, which
    looks at every installed distribution as it loads, took 45 ms more,
    and warns on the console of its own removal (setuptools<81 is pinned
    for it, should something else import it first)."""
    return import_with_stand_ins("cpca", {"pkg_resources": _resource_stream_only})


def _resource_stream_only(stand_in: ModuleType) -> None:
    def resource_stream(package: str, resource: str) -> IO[bytes]:
        import importlib.resources

        return importlib.resources.files(package).joinpath(resource).open("rb")

    stand_in.resource_stream = resource_stream  # type: ignore[attr-defined]


def _code(province: str | None, city: str | None, county: str | None, adcode: str | None) -> str | None:
    """The code of the deepest level kept (cpca's adcode is for what it matched)."""
    if not adcode:
        return None
    if county:
        return adcode
    if city:
        return adcode[:4] + "00"
    return adcode[:2] + "0000"


class NamedPlace(NamedTuple):
    """A place a text names in full, with its suffix (宿迁市, 仙游县): where, and its level."""

    name: str
    level: str  # province, city or county
    start: int
    end: int


@functools.lru_cache(maxsize=1)
def _gazetteer() -> tuple[re.Pattern, dict[str, str], int]:
    """Every division name in cpca's table by level, the characters they end
    with, and the longest. Names of two characters (忠县, 城区, 郊区) are words
    too often to count, and the table's placeholders (市辖区) name no place."""
    levels = {name: level for name, (level, _) in _divisions().items() if len(name) >= 3}
    suffixes = re.compile("[" + "".join(sorted({n[-1] for n in levels})) + "]")
    return suffixes, levels, max(map(len, levels))


@functools.lru_cache(maxsize=1)
def _divisions() -> dict[str, tuple[str, int]]:
    """Each division name in cpca's table (its adcodes.csv): its level and how
    many divisions bear it (永定区 is a district of 张家界 and of 龙岩)."""
    import csv
    from importlib import resources

    skip = set(vocab.load("lexicon")["cpca_placeholder_cities"])
    out: dict[str, tuple[str, int]] = {}
    with resources.files("cpca").joinpath("resources/adcodes.csv").open(encoding="utf-8") as table:
        for row in csv.DictReader(table):
            name, code = row["name"], row["adcode"]
            if name in skip:
                continue
            level = "province" if code[2:6] == "0000" else "city" if code[4:6] == "00" else "county"
            out[name] = (out[name][0], out[name][1] + 1) if name in out else (level, 1)
    return out


def shared_name(name: str) -> bool:
    """Whether more than one division bears this name (永定区, 鼓楼区, 朝阳区).

    >>> shared_name("永定区"), shared_name("三门县")
    (True, False)
    """
    return _divisions().get(name, ("", 0))[1] > 1


def places_named(text: str, start: int = 0, end: int | None = None) -> list[NamedPlace]:
    """The administrative places a text names in full, in order: at each
    character a division's name can end with (市, 县, 区 …), the longest name
    ending there (a lookup per length, not a scan per name).

    >>> [p.name for p in places_named("宿迁市委第二巡察组对市卫健委进行了巡察。根据《中共合肥市委巡察工作实施办法》")]
    ['宿迁市', '合肥市']
    >>> [(p.name, p.level) for p in places_named("仙游县委第二巡察组对郊尾镇党委进行了巡察,福建省")]
    [('仙游县', 'county'), ('福建省', 'province')]
    >>> places_named("中山大学党委;公开原则;合作")
    []
    """
    suffixes, levels, longest = _gazetteer()
    end = len(text) if end is None else end
    found: list[NamedPlace] = []
    for m in suffixes.finditer(text, start, end):
        stop = m.end()
        for length in range(min(longest, stop - start), 2, -1):
            name = text[stop - length : stop]
            if name in levels:
                if found and found[-1].end > stop - length:
                    break  # inside the name just found (州 of 徐州市 is no name's end anyway)
                found.append(NamedPlace(name, levels[name], stop - length, stop))
                break
    return found


@functools.lru_cache(maxsize=1024)
def place_of_phone(phone: str) -> Place | None:
    """The city a fixed-line number's area code belongs to: the number checked
    by libphonenumber, its area code looked up in resources/area_codes.yml
    (libphonenumber's geocoder data for China, written out by
    tools/area_codes.py: the geocoder itself loads every country's, 100 MB).

    Mobile numbers are not used: their region is where the SIM was registered.

    >>> place_of_phone("0576-83302110")
    Place(province='浙江省', city='台州市', county=None, adcode='331000')
    >>> place_of_phone("13812345678") is None and place_of_phone("12345") is None
    True
    """
    import phonenumbers
    from phonenumbers import PhoneNumberType

    try:
        number = phonenumbers.parse(regex.sub(r"[—–]", "-", phone), "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) != PhoneNumberType.FIXED_LINE:
        return None
    national = str(number.national_number)
    codes = vocab.table("area_codes", "area_codes")
    description = next((codes[national[:n]] for n in range(min(len(national), 8), 1, -1) if national[:n] in codes), None)
    return resolve_place(str(description)) if description else None
