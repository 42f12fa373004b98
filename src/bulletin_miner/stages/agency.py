"""bm_agency_v1: the inspected unit, its party body and its place.

The unit comes from the title (`中共三门县民政局党组关于…`), else from the
narrative (`对县民政局党组进行了…巡察`, `向市水利局党组反馈`), else from the
issuing body in the page metadata, else from the closing signature above
the date. A pronoun (我局) or a bare office (局党组) is never a unit.

A unit named short is given its full name, in this order:
- where the document names it in full: a short name it defines
  (`中共某市人民检察院党组(以下简称“市检察院党组”)`), or a full name it
  writes elsewhere whose words the short one abbreviates (市卫健委 of
  宿迁市卫生健康委员会, in a title, a 来源 line or a plan it issued);
- a bare level (`市民政局`) takes the place that the title, another mention,
  the issuer, the address or the phone's area code names at that level,
  else the one place of that level the document names (marked inferred);
- a town (`郊尾镇`) takes the one county the document names;
- else, for a bare level, no unit: a place-less abbreviation is no name.

The place columns follow from the resolved name. A document about many
units (a round summary, news of one round's feedback to several) names no
one unit: its place is that of the committee whose round it is, when one
is named (`十三届平舆县委第十轮巡察`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import regex
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import vocab
from bulletin_miner.normalize.region import NamedPlace, Place, place_of_phone, places_named, resolve_place
from bulletin_miner.records import Fact, Status
from bulletin_miner.stages._rules import rule_facts
from bulletin_miner.stages.state import DocState, state

STAGE = "bm_agency_v1"


class Mention(NamedTuple):
    """A unit named in the text, with the party body written right after it."""

    unit: Fact
    party_body: Fact | None

    @property
    def name(self) -> str:
        return self.unit.text


@functools.lru_cache(maxsize=1)
def _cfg() -> dict:
    data = vocab.load("agency")
    return {
        "bare_levels": {str(k): str(v) for k, v in data["bare_level"].items()},
        "not_a_unit": vocab.pattern("agency", "not_a_unit"),
        "township": vocab.pattern("agency", "township"),
        "zone": vocab.pattern("agency", "zone"),
        "unit_ending": vocab.pattern("agency", "unit_ending"),
        "placeless_office": vocab.pattern("agency", "placeless_office"),
        "central_body": vocab.pattern("agency", "central_body"),
        "anonymised": vocab.pattern("agency", "anonymised_place"),
        "committee": str(data["committee_after_place"]),
        "short": {str(k): str(v) for k, v in data["party_body_short"].items()},
        "own_committee": vocab.pattern("agency", "own_committee"),
        "own_committee_words": frozenset(vocab.words("agency", "own_committee_words")),
    }


@Language.factory("bm_agency_v1", requires=["doc._.bm"], assigns=["doc._.bm"])
def create_agency(nlp: Language, name: str):
    return agency


def _mentions(facts: list[Fact]) -> list[Mention]:
    """Unit facts paired with the party body written right after each; none that is no unit."""
    bodies = {(f.rule, f.start): f for f in facts if f.field == "party_body"}
    # a short name defined between them (…管理局(简称某某湾管理局)党组) keeps the pair
    aliases = {(f.rule, f.start): f for f in facts if f.field == "alias"}
    cfg = _cfg()
    out = []
    for f in facts:
        if f.field != "agency" or cfg["not_a_unit"].search(f.text):
            continue
        body = bodies.get((f.rule, f.end))
        if body is None:
            alias = next((a for (rule, start), a in aliases.items() if rule == f.rule and f.end < start <= f.end + 6), None)
            body = next((b for (rule, start), b in bodies.items() if alias and rule == f.rule and alias.end < start <= alias.end + 3), None)
        if body is not None and body.text in cfg["own_committee_words"] and cfg["own_committee"].match(f.text):
            # 共青团南县委员会, 政协某县委员会: the committee is the unit itself, not its party body
            f, body = f._replace(value=f.text + body.text, end=body.end, text=f.text + body.text), None
        if body is None and not cfg["unit_ending"].search(f.text):
            continue  # without its party body, a name must end as units' names do
        out.append(Mention(f, body))
    return out


def _issuer_mentions(st: DocState) -> list[Mention]:
    out = []
    for issuer in st.facts_for("issuer"):
        out += _mentions(rule_facts("agency", st.text, STAGE, [(issuer.start, issuer.end)], key="issuer"))
    return out


def unit_mentions(st: DocState) -> tuple[list[Mention], list[Mention], dict[str, Mention]]:
    """(the mentions that may name the unit, in priority order; those that name
    it in full elsewhere; the short names the document defines)."""
    text = st.text
    candidates: list[Mention] = []
    if st.title:
        candidates += _mentions(rule_facts("agency", text, STAGE, [st.title], key="title"))
    body = _mentions(rule_facts("agency", text, STAGE, [(st.header_end, st.intro_end)], key="body"))
    candidates += body
    candidates += _issuer_mentions(st)
    if st.signature_lines:
        candidates += _mentions(rule_facts("agency", text, STAGE, st.signature_lines, key="signature"))
    full_facts = rule_facts("agency", text, STAGE, key="full_name")
    full = _mentions(full_facts)
    # a unit named only where it issued a plan or defined its short name
    candidates += full
    return candidates, full, _defined(full_facts, full)


def agency(doc: Doc) -> Doc:
    st = state(doc)
    if st.doc_type != "rectification_bulletin":
        for name, start, end in listed_units(st):
            st.add(doc, Fact("units_listed", name, start, end, name, STAGE, "unit_list"))
    candidates, full, defined = unit_mentions(st)
    if not candidates or _many_units(st, candidates, defined):
        _committee_place(doc, st)
        return doc
    chosen = _longest_reading(candidates[0], candidates)
    resolved = _resolve(st, chosen, candidates, full, defined)
    # the party body is stated even where the unit's name cannot be completed (区总工会党组)
    body = (
        chosen.party_body
        or next((m.party_body for m in candidates + full if m.party_body and m.name == chosen.name), None)
        or _party_body_after(st, chosen)
    )
    if body is not None:
        short = _cfg()["short"].get(body.text)
        st.add(doc, body._replace(value=short, status=Status.INFERRED) if short else body)
    if resolved is None:
        _committee_place(doc, st)
        return doc
    name, fact, status, decided_by = resolved
    st.add(doc, fact._replace(field="agency", value=name, status=status))
    place = resolve_place(_placed_part(name))
    if place:
        _add_place(doc, st, place, fact, status, decided_by)
        for phone in (f for f in st.facts_for("phone") if place_of_phone(f.text)):
            other = place_of_phone(phone.text)  # a supervision line in another city is worth a look, not a change
            if other and other.city and place.city and other.city != place.city:
                st.warnings.append(f"place: phone {phone.text} is a {other.city} number but the unit is in {place.city}")
    return doc


# A listed name is at least this long (镇 alone is a fragment) and at most this.
LISTED_NAME_CHARS = (3, 30)


def listed_units(st: DocState) -> list[tuple[str, int, int]]:
    """The units a narrative lists together as inspected or fed back to
    (分别向县民政局党组、县教育局党委反馈巡察意见): each name without its party
    body, with its span; none unless it lists two or more."""
    text, cfg = st.text, _cfg()
    separator = vocab.pattern("agency", "unit_list_separator")
    joiner = vocab.pattern("agency", "unit_list_joiner")
    body_at_end = vocab.pattern("agency", "party_body_at_end")
    lead_words, reject, name_words = (vocab.pattern("agency", k) for k in ("unit_list_lead", "unit_list_reject", "unit_list_name_words"))

    def unit_at(s: int, e: int) -> tuple[str, int, int] | None:
        if (lead := lead_words.match(text, s, e)) is not None:  # words the verb phrase leads in with
            s = lead.end()
        if (body := body_at_end.search(text, s, e)) is not None:
            e = body.start()
        name = text[s:e].strip()
        shortest, longest = LISTED_NAME_CHARS
        if not (shortest <= len(name) <= longest) or name.count("(") != name.count(")"):
            return None
        if not cfg["unit_ending"].search(name) or cfg["not_a_unit"].search(name_words.sub("", name)) or reject.search(name):
            return None
        return name, s, e

    found: dict[str, tuple[str, int, int]] = {}
    for m in vocab.pattern("agency", "unit_list").finditer(text, st.header_end, st.intro_end):
        start, end = m.span("list")
        pieces, at = [], start
        for sep in separator.finditer(text, start, end):
            pieces.append((at, sep.start()))
            at = sep.end()
        pieces.append((at, end))
        for s, e in pieces:
            # 和/及/与 joins two names only where each side is one whole
            halves = next(((s, j.start(), j.end(), e) for j in joiner.finditer(text, s, e) if unit_at(s, j.start()) and unit_at(j.end(), e)), None)
            for unit in [unit_at(halves[0], halves[1]), unit_at(halves[2], halves[3])] if halves else [unit_at(s, e)]:
                if unit is not None:
                    found.setdefault(unit[0], unit)
    return list(found.values()) if len(found) >= 2 else []


def _party_body_after(st: DocState, chosen: Mention) -> Fact | None:
    """The party body the text writes right after the unit's name anywhere
    (浦楼街道党工委), when the mention that named the unit gave none."""
    bodies = vocab.defines("agency")["party_body"]
    found = regex.search(f"{regex.escape(chosen.name)}(?P<party_body>{bodies})", st.text)
    if found is None:
        return None
    s, e = found.span("party_body")
    return Fact("party_body", st.text[s:e], s, e, st.text[s:e], STAGE, "party_body_after_name")


def _longest_reading(chosen: Mention, candidates: list[Mention]) -> Mention:
    """中共怀化市卫生健康委员会 reads as 怀化市卫生健康 + 委员会 (its party
    committee) or as the commission itself: where another mention writes the
    longer name with a party body of its own (怀化市卫生健康委员会党委), that one."""
    if chosen.party_body is None:
        return chosen
    longer = chosen.name + chosen.party_body.text
    return next((m for m in candidates if m.name == longer and m.party_body is not None), chosen)


def _many_units(st: DocState, candidates: list[Mention], defined: dict[str, Mention]) -> bool:
    """A round summary, or news of feedback to several units: no one unit."""
    if st.doc_type == "round_summary":
        st.warnings.append("agency: a round summary reports on many units; no one unit is its agency")
        return True
    if st.doc_type != "rectification_bulletin" and vocab.pattern("agency", "several_teams").search(st.text, st.header_end, st.intro_end):
        st.warnings.append("agency: the inspection of several teams reported here covers several units; no one unit is taken")
        return True
    named: list[str] = []
    for m in candidates:
        if m.unit.rule in ("inspected_unit", "fed_back_unit") and not any(_same_unit(m.name, other, defined) for other in named):
            named.append(m.name)
    if len(named) > 1 and not any(m.unit.rule.startswith("title") for m in candidates):
        st.warnings.append(f"agency: the narrative names several units ({', '.join(named)}); none is taken")
        return True
    return False


def _same_unit(a: str, b: str, defined: dict[str, Mention]) -> bool:
    """Two names of one unit: the same, one abbreviating the other, a short
    name the document defines for the other, or a place and its committee
    (达州市通川区, 达州市通川区委)."""
    committee = _cfg()["committee"]
    if a == b or a == b + committee or b == a + committee:
        return True

    def full(name: str) -> str:
        return defined[name].name if name in defined else name

    a, b = full(a), full(b)
    return a == b or abbreviates(a, b) or abbreviates(b, a)


Resolved = tuple[str, Fact, Status, tuple[str, int, int]]


def _placed_part(name: str) -> str:
    """The part of a unit's name that may begin with its place: after the
    organisation's own name (共青团南县委员会: 南县委员会)."""
    own = _cfg()["own_committee"].match(name)
    return name[own.end() :] if own else name


def _resolve(st: DocState, chosen: Mention, candidates: list[Mention], full: list[Mention], defined: dict[str, Mention]) -> Resolved | None:
    """The unit's full name, the fact it stands on, its status and what decided its place."""
    cfg = _cfg()
    name, fact = chosen.name, chosen.unit
    if name.endswith(cfg["committee"]) and _is_place(name[:-1]):
        # a place's committee inspected (中共达州市通川区委): the unit is the place
        name = name[:-1]
        fact = fact._replace(end=fact.end - 1, text=name)
    stated = (name, fact, Status.STATED, ("agency", fact.start, fact.end))
    if resolve_place(_placed_part(name)) is not None or cfg["anonymised"].match(name):
        return stated
    # the document names it in full elsewhere
    if name in defined:
        m = defined[name]
        return m.name, m.unit._replace(rule=f"full_name:{m.unit.rule}"), Status.STATED, ("agency", m.unit.start, m.unit.end)
    for m in [*candidates, *full, *_source_mentions(st)]:
        if m.name != name and resolve_place(m.name) and abbreviates(name, m.name):
            return m.name, m.unit._replace(rule=f"full_name:{m.unit.rule}"), Status.STATED, ("agency", m.unit.start, m.unit.end)
    level = cfg["bare_levels"].get(name[0])
    if level:
        prefix, decided_by = _place_at_level(st, level, candidates, chosen)
        if prefix is None:
            st.warnings.append(f"agency: {name!r} names no place and the document names none at its level; left empty")
            return None
        return prefix + name[1:], fact, Status.INFERRED, decided_by
    town, zone = cfg["township"].search(name), cfg["zone"].search(name)
    if town or zone:
        named = places_named(st.text)
        counties, cities = _distinct(named, "county"), _distinct(named, "city")
        parents = counties if town and counties else cities
        if len(parents) == 1:
            parent = parents[0]
            return parent.name + name, fact, Status.INFERRED, ("place_named", parent.start, parent.end)
    if cfg["placeless_office"].search(name) and not cfg["central_body"].search(name):
        st.warnings.append(f"agency: {name!r} is a local office named without its place, and the document names it in full nowhere; left empty")
        return None
    return stated


def _is_place(name: str) -> bool:
    named = places_named(name)
    return bool(named) and named[-1].end == len(name) and resolve_place(name) is not None


def _defined(full_facts: list[Fact], full: list[Mention]) -> dict[str, Mention]:
    """Short names a document defines (以下简称“市院党组”), with and without
    their party body, for the unit named in full right before each."""
    out = {}
    for alias in (f for f in full_facts if f.field == "alias"):
        named = [m for m in full if m.unit.rule == "defined_short_name" and m.unit.end <= alias.start]
        if named:
            out[alias.text] = out[_strip_party_body(alias.text)] = named[-1]
    return out


def _strip_party_body(name: str) -> str:
    """市院党组 -> 市院 (a short name defined with its party body names the unit without it too)."""
    m = vocab.pattern("agency", "party_body_at_end").search(name)
    return name[: m.start()] if m and m.start() >= 2 else name


def _source_mentions(st: DocState) -> list[Mention]:
    """A 来源 line's unit (来源:广州市住房和城乡建设局) names the unit in full where it published its own page."""
    return [Mention(f._replace(field="agency"), None) for f in st.facts_for("source_site")]


def abbreviates(short: str, full: str) -> bool:
    """Whether a short name (市卫健委, 市检察院, 市住房城乡建设局) abbreviates a
    full one with a place (宿迁市卫生健康委员会): past its level, its first and
    last characters are the full name's, and its words come in order.

    >>> abbreviates("市卫健委", "宿迁市卫生健康委员会"), abbreviates("市检察院", "中山市人民检察院")
    (True, True)
    >>> abbreviates("市住房城乡建设局", "广州市住房和城乡建设局"), abbreviates("市民政局", "宿迁市卫生健康委员会")
    (True, False)
    """
    place = resolve_place(full)
    if place is None or place.deepest is None or place.deepest not in full:
        return False
    tail = full[full.index(place.deepest) + len(place.deepest) :]
    core = short[1:] if short[0] in _cfg()["bare_levels"] else short
    if len(core) < 2 or not tail:
        return False
    if core[-1] not in tail[-3:]:  # 委 of 委员会, 联 of 联合会
        return False
    if core[0] not in tail:
        return False
    rest = iter(tail)
    return all(ch in rest for ch in core)


def _place_at_level(st: DocState, level: str, candidates: list[Mention], chosen: Mention) -> tuple[str | None, tuple[str, int, int]]:
    """The place a bare level stands for: what the title, another mention, the
    issuer, the address or the phone's area code names at that level, else the
    one place of that level the document names."""
    text = st.text
    evidence: list[tuple[str, int, int]] = [("unit_mention", m.unit.start, m.unit.end) for m in candidates if m is not chosen]
    if st.title:
        evidence.append(("title", *st.title))
    evidence += [("address", f.start, f.end) for f in st.facts_for("address")]
    evidence += [("phone_area_code", f.start, f.end) for f in st.facts_for("phone")]
    for source, s, e in evidence:
        candidate = place_of_phone(text[s:e]) if source == "phone_area_code" else resolve_place(text[s:e])
        prefix = getattr(candidate, level, None) if candidate else None
        if prefix:
            return prefix, (source, s, e)
    # the one place of that level and kind (市 of a city, 区 of a district, 县 of a county)
    named = [p for p in _distinct(places_named(text), level) if p.name.endswith(chosen.name[0])]
    if len(named) == 1:
        return named[0].name, ("place_named", named[0].start, named[0].end)
    return None, ("", 0, 0)


def _distinct(places, level: str):
    seen: dict[str, object] = {}
    for p in places:
        if p.level == level:
            seen.setdefault(p.name, p)
    return list(seen.values())


def _committee_place(doc: Doc, st: DocState) -> None:
    """A document about no one unit is placed where the committee whose
    inspection it reports is (十三届平舆县委第十轮巡察: 平舆县), when it names one."""
    if vocab.pattern("agency", "central_inspection").search(st.text, st.header_end, st.intro_end):
        return  # a central inspection's news names provinces' committees as its subjects, not as its place
    committees: dict[str, NamedPlace] = {}
    for p in places_named(st.text, st.header_end, st.intro_end):
        if st.text.startswith(_cfg()["committee"], p.end):
            committees.setdefault(p.name, p)
    if len(committees) != 1:
        return
    named = next(iter(committees.values()))
    place = resolve_place(named.name)
    if place:
        unit = Fact("agency", named.name, named.start, named.end, named.name, STAGE, "committee")
        _add_place(doc, st, place, unit, Status.INFERRED, ("committee", named.start, named.end))


def _add_place(doc: Doc, st: DocState, place: Place, unit: Fact, status: Status, decided_by: tuple[str, int, int]) -> None:
    rule = f"cpca:{place.adcode}"
    for level in ("province", "city", "county"):
        value = getattr(place, level)
        if not value:
            continue
        # The unit's own span stands as evidence; a level it does not write is inferred.
        level_status = status if value in unit.text or status is Status.INFERRED else Status.INFERRED
        st.add(doc, Fact(level, value, unit.start, unit.end, unit.text, STAGE, rule, level_status))
    if place.adcode:
        st.add(doc, Fact("adcode", place.adcode, unit.start, unit.end, unit.text, STAGE, rule, status))
    source, s, e = decided_by
    st.add(doc, Fact("place_evidence", source, s, e, st.text[s:e], STAGE, rule))
