"""The pure normalisers: phrasings in, values out; property tests for robustness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bulletin_miner.normalize.dates import PartialDate, parse_partial, resolve
from bulletin_miner.normalize.money import parse_amount, percent_to_fraction
from bulletin_miner.normalize.numerals import parse_int


@pytest.mark.parametrize(
    "numeral, value",
    [("16", 16), ("三", 3), ("十六", 16), ("二十八", 28), ("两", 2), ("一百六十五", 165), ("二〇二四", 2024), ("零", 0)],
)
def test_numerals(numeral, value):
    assert parse_int(numeral) == value


@pytest.mark.parametrize("text", ["方面", "个", "统一", "X", ""])
def test_not_numerals(text):
    assert parse_int(text) is None


@pytest.mark.parametrize(
    "text, yuan, exactness",
    [
        ("3.0034万元", "30034", "exact"),
        ("1.2亿元", "120000000", "exact"),
        ("101万余元", "1010000", "lower_bound"),
        ("5000元", "5000", "exact"),
        ("5000元整", "5000", "exact"),
        ("66.57万元", "665700", "exact"),
        ("一千五百万元", "15000000", "exact"),
        ("200多万元", "2000000", "lower_bound"),
        ("约3万元", "30000", "approximate"),
    ],
)
def test_amounts(text, yuan, exactness):
    amount = parse_amount(text)
    assert amount is not None
    assert amount.yuan == Decimal(yuan)  # compared exactly, never as floats
    assert amount.exactness == exactness


@pytest.mark.parametrize("text", ["元", "3万人", "万元", "abc元"])
def test_not_amounts(text):
    assert parse_amount(text) is None


def test_cross_year_range_end_moves_to_next_year():
    start = parse_partial("2021年12月20日").to_date()
    end, inferred = resolve(parse_partial("1月18日"), start, not_before=True)
    assert end == dt.date(2022, 1, 18) and inferred


def test_bare_date_without_anchor_stays_empty():
    assert resolve(PartialDate(None, 7, 13), None) == (None, False)


def test_percent():
    assert percent_to_fraction("96%") == 0.96
    assert percent_to_fraction("96") is None


# Property tests: no parser raises on arbitrary text, and known invariants hold.
@given(st.text(max_size=40))
def test_parsers_never_raise(text):
    parse_int(text)
    parse_partial(text)
    parse_amount(text)
    percent_to_fraction(text)


@given(st.integers(min_value=0, max_value=10**9))
def test_arabic_numerals_round_trip(n):
    assert parse_int(str(n)) == n


@given(st.integers(min_value=0, max_value=10**8))
@example(0)
@example(7)
@example(2024)
def test_chinese_numerals_round_trip(n):
    """Read from the lexicon's digits or by cn2an, a numeral cn2an writes
    reads back as its value, in both of the ways documents write them."""
    import cn2an

    assert parse_int(cn2an.an2cn(n, "low")) == n  # 十六, 一百零五
    assert parse_int(cn2an.an2cn(n, "direct")) == n  # 一六, 二〇二四


@given(st.integers(min_value=0, max_value=99_999), st.integers(min_value=0, max_value=9999), st.sampled_from(["", "万", "亿"]))
def test_amount_is_exact_decimal(units, cents, scale):
    text = f"{units}.{cents:04d}{scale}元"
    factor = {"": 1, "万": 10_000, "亿": 100_000_000}[scale]
    assert parse_amount(text).yuan == Decimal(f"{units}.{cents:04d}") * factor


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_written_dates_parse_back(date):
    assert parse_partial(f"{date.year}年{date.month}月{date.day}日").to_date() == date


@given(
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2098, 12, 31)), st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2098, 12, 31))
)
def test_resolved_not_before_is_never_before_anchor(anchor, written):
    result, _ = resolve(PartialDate(None, written.month, written.day), anchor, not_before=True)
    assert result is None or result >= anchor


# The outline parser and the whole pipeline never raise on arbitrary text.
_BULLETINISH = st.text(
    alphabet=st.sampled_from(list("一二三四五六七八九十()、.是关于针对“”问题的整改情况12345①②\n。,:下一步追回万元年月日至巡察组")), max_size=300
)


@settings(deadline=None)
@given(_BULLETINISH)
def test_outline_never_raises_and_paths_follow_the_tree(text):
    import regex

    from bulletin_miner.stages.outline import parse_headings

    lines = [m.span() for m in regex.finditer(r"[^\n]+", text)]
    headings, _ = parse_headings(text, lines)
    for heading in headings:
        parent = heading.parent
        assert parent is None or (parent.rank < heading.rank and heading.path().startswith(parent.path() + "/"))


# Ledger tables: rows of bars and cells, header words among them.
_LEDGERISH = st.lists(
    st.lists(
        st.sampled_from(
            [
                "序号",
                "存在问题",
                "问题类别",
                "整改措施",
                "完成情况",
                "1",
                "2",
                "",
                "学习不深入",
                "一是学习。二是考勤。",
                "1.建台账;2.查",
                "已完成",
                "持续推进",
                "党建方面",
                "|",
                " ",
            ]
        ),
        max_size=6,
    ).map(lambda cells: "| " + " | ".join(cells) + " |" if cells else "一、整改情况"),
    max_size=8,
).map("\n".join)


@settings(deadline=None)
@given(_LEDGERISH)
@example("| 党建方面 | 存在问题 | 整改措施 |\n| 序号 | 序号 |")  # found by this test: a header cut short
def test_ledger_rows_never_raise_and_their_cells_lie_in_their_row(text):
    import regex

    from bulletin_miner.stages.ledger import cell_measures, column_kind, ledger_rows

    lines = [m.span() for m in regex.finditer(r"[^\n]+", text)]
    for row in ledger_rows(text, lines):
        for span in (row.problem, row.status, *row.measures):
            assert span is None or row.line[0] < span[0] < span[1] < row.line[1]
        assert "|" not in text[slice(*row.problem)] and text[slice(*row.problem)].strip()
        assert column_kind(text[slice(*row.problem)]) not in ("serial", "measures", "status")  # a header cut short is no problem
        for cell in row.measures:
            measures = cell_measures(text, *cell)
            assert all(cell[0] <= s < e <= cell[1] for _, s, e in measures)
            assert [e for _, _, e in measures[:-1]] == [s for _, s, _ in measures[1:]]  # they follow one another


@pytest.mark.parametrize("seed_text", ["", "\n\n", "关于巡察整改情况的通报"])
@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])  # the first call builds the pipeline
@given(st.one_of(_BULLETINISH, _LEDGERISH))
def test_pipeline_never_raises_and_spans_stay_exact(seed_text, text):
    from bulletin_miner.api import extract_text
    from bulletin_miner.errors import BulletinError

    try:
        record = extract_text(seed_text + "\n" + text)
    except BulletinError as err:  # only the coded "nothing left to read" is allowed
        assert err.kind.value == "E007_no_text"
        return
    for fact in record.facts:
        assert record.text[fact.start : fact.end] == fact.text
    assert sum(i["n_measures"] for i in record.issues) == len(record.measures)


# Real bulletins damaged the way scraped pages are: lines lost, repeated,
# swapped or pasted from another document, words cut, stray characters typed
# in (numerals, date and money words, full-width forms, marks NFKC composes,
# line separators, characters beyond the BMP).
_STRAY = [
    *"一二三四五六七八九十〇两百千万亿()（）、.．是关于针对“”问题的整改情况0123456789０１２①⑳\t 　。,，:：;下一步追回元余多年月日号至-—/巡察组X",
    "\u0301",
    "\ufb01",
    "ㄱ",
    "ㅏ",
    "㈠",
    "\u2028",
    "\x1f",
    "😀",
    "𠀀",
]
_EDITS = st.lists(
    st.tuples(
        st.sampled_from(["drop", "repeat", "swap", "paste", "type", "cut", "end"]),
        st.integers(0, 10**4),
        st.integers(0, 10**4),
        st.text(alphabet=st.sampled_from(_STRAY), min_size=1, max_size=8),
    ),
    max_size=6,
)


@st.composite
def damaged_bulletins(draw) -> str:
    from conftest import RAW

    samples = [path.read_text(encoding="utf-8") for path in sorted(RAW.glob("*.txt"))]
    lines = draw(st.sampled_from(samples)).split("\n")
    for edit, i, j, typed in draw(_EDITS):
        if not lines:
            break
        i, j = i % len(lines), j % len(lines)
        if edit == "drop":
            del lines[i]
        elif edit == "repeat":
            lines.insert(i, lines[j])
        elif edit == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif edit == "paste":
            other = samples[j % len(samples)].split("\n")
            lines.insert(i, other[j % len(other)])
        elif edit == "type":
            lines[i] = lines[i][: j % (len(lines[i]) + 1)] + typed + lines[i][j % (len(lines[i]) + 1) :]
        elif edit == "cut":
            lines[i] = lines[i][: j % (len(lines[i]) + 1)] + lines[i][j % (len(lines[i]) + 1) + len(typed) :]
        else:  # the page ends early
            del lines[i:]
    return "\n".join(lines)


@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_bulletins())
def test_damaged_real_bulletins_never_raise_and_every_value_stays_sound(text):
    from bulletin_miner.api import extract_text
    from bulletin_miner.errors import BulletinError

    try:
        record = extract_text(text)
    except BulletinError as err:  # only "nothing left to read" and its kin
        assert err.kind.value in ("E003_empty", "E004_binary", "E007_no_text")
        return
    for fact in record.facts:
        assert record.text[fact.start : fact.end] == fact.text
        if isinstance(fact.value, dt.date):  # written years are 1949-2100; a carried-over one may step a year past
            assert 1949 <= fact.value.year <= 2101, fact
        elif isinstance(fact.value, (int, float, Decimal)) and not isinstance(fact.value, bool):
            assert fact.value >= 0, fact
    assert sum(i["n_measures"] for i in record.issues) == len(record.measures)
    seqs = {i["seq"] for i in record.issues}
    assert all(m["issue_seq"] in seqs for m in record.measures)


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from(list("巡察整改（一）１２３，。：　 \t\n①ａｂ阅读量分享到ＩＣＰ备é\u0301eㄱㅏ가ﬁ㈠")), max_size=120))
@example("ㄱㅏﬁx")  # a composition and an expansion that keep the line's length
def test_every_normalised_character_maps_back_to_its_source(source):
    import unicodedata

    from bulletin_miner.ingest.textnorm import normalize

    norm = normalize(source)
    offsets = norm.source_offsets
    assert len(offsets) == len(norm.text)
    for ch, src in zip(norm.text, offsets, strict=True):
        if ch in " \n":
            continue
        assert ch == source[src] or ch in unicodedata.normalize("NFKC", source[src])


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("巡察 整改ab 1,\t\u3000\xa0\x1f\u2003(ＡＢ)")), max_size=40), st.integers(0, 500))
def test_collapsing_spaces_run_by_run_is_collapsing_them_character_by_character(line, base):
    # the fast path of a line that maps character to character must give what the general path gives
    import unicodedata

    from bulletin_miner.ingest.textnorm import _collapse_spaces, _fold_line_pieces, offset_runs

    folded = unicodedata.normalize("NFKC", line)
    if len(folded) != len(line):
        return
    chars, offsets = _fold_line_pieces([" " if ch.isspace() else ch for ch in folded], list(range(base, base + len(folded))))
    assert _collapse_spaces(folded, base) == ("".join(chars), offset_runs(offsets))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("阅读量浏览次数:: 12字体号大中小【】正文")), max_size=12), max_size=8))
def test_inline_chrome_is_looked_for_in_every_line_a_search_of_the_joined_lines_touches(lines):
    # normalize cuts inline chrome only from the lines _lines_touched names: it
    # must name every line in which a search of that line alone finds some
    from bulletin_miner.ingest.textnorm import _chrome, _lines_touched

    inline = _chrome().inline
    touched = _lines_touched(inline, lines)
    assert touched == sorted(set(touched))
    assert {i for i, line in enumerate(lines) if inline.search(line)} <= set(touched)


def test_the_fast_path_knows_every_character_nfkc_may_compose_and_every_circled_numeral():
    # over every code point: marks (by the tables NFKC uses), Hangul jamo, ① … ⑳
    import sys
    import unicodedata

    from bulletin_miner.ingest.textnorm import _JAMO, _may_compose

    jamo = {c for r in _JAMO for c in r}
    for c in range(sys.maxunicode + 1):
        expected = unicodedata.category(chr(c))[0] == "M" or c in jamo or 0x2460 <= c <= 0x2473
        assert _may_compose(chr(c)) is expected, hex(c)
    assert not _may_compose("巡察整改（一）１２３，。：\u3000ﬁ㈠") and _may_compose("整改①") and _may_compose("e\u0301")


def test_every_space_nfkc_leaves_in_a_line_is_one_the_fast_path_looks_for():
    import unicodedata

    from bulletin_miner.ingest.textnorm import _FOLDED_SPACES

    line_breaks = set("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    left = {ch for code in range(0x110000) if not 0xD800 <= code < 0xE000 for ch in unicodedata.normalize("NFKC", chr(code)) if ch.isspace()}
    assert left - line_breaks <= set(_FOLDED_SPACES)


_PLACE_STRINGS = [
    "中共三门县民政局党组",
    "沧州市残疾人联合会",
    "徐州市新城区汉风路1号西综合区F603室",
    "浙江省台州市三门县交通路499号",
    "沧州市运河区北京路",
    "市民政局党委",
    "县民政局",
    "县委",
    "公开原则",
    "合作",
    "朝阳区人民政府",
    "吉林省长春市朝阳区",
    "某县财政局",
    "台州市",
    "XX县",
    "中共XX市委巡察办",
]


def _assert_cpca_record_agrees_with_transform(text: str) -> None:
    # resolve_place takes cpca's per-string step to skip a DataFrame per call; it must agree with the public call
    import cpca

    from bulletin_miner.normalize.region import cpca_record

    assert cpca_record(text) == cpca.transform([text]).iloc[0].to_dict()


@pytest.mark.parametrize("text", _PLACE_STRINGS)
def test_cpca_record_is_what_cpca_transform_answers(text):
    _assert_cpca_record_agrees_with_transform(text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("中共浙江省台州市三门县民政局朝阳区北京路沧州运河XX镇村委1号 ,")), min_size=1, max_size=20))
def test_cpca_record_agrees_with_cpca_transform_on_any_string(text):
    _assert_cpca_record_agrees_with_transform(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="完成率占问题", min_size=1, max_size=3), min_size=1, max_size=6),
    st.text(alphabet="完成率占问题,", max_size=60),
)
def test_one_scan_finds_every_occurrence_of_every_keyword(words, text):
    # the rules' keywords are found in one scan; overlapping and nested words must not hide each other
    from bulletin_miner.stages._rules import WordFinder

    found = WordFinder(words).occurrences(text, 0, len(text))
    for word in set(words):
        expected = [(i, i + len(word)) for i in range(len(text)) if text.startswith(word, i)]
        assert found[word] == expected, word


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="完成率占问题.", min_size=1, max_size=4), min_size=1, max_size=8),
    st.text(alphabet="完成率占问题.,", max_size=60),
)
def test_a_trie_of_the_words_matches_what_their_alternation_longest_first_does(words, text):
    import re

    from bulletin_miner.stages._rules import trie_pattern

    alternation = "|".join(map(re.escape, sorted(set(words), key=lambda w: (-len(w), w))))
    assert [m.span() for m in re.finditer(trie_pattern(words), text)] == [m.span() for m in re.finditer(alternation, text)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.text(alphabet="完成率占问题", min_size=1, max_size=3), min_size=1, max_size=4), min_size=1, max_size=4),
    st.lists(st.text(alphabet="完成率占问题,", max_size=40), min_size=1, max_size=3),
    st.integers(0, 45),
    st.integers(0, 45),
)
def test_keywords_shared_by_the_stages_are_every_occurrence_in_the_span_asked_for(word_sets, texts, a, b):
    # stages ask in turn, for their own words and spans, of one scan per document
    from bulletin_miner.stages._rules import DocumentWords

    shared = DocumentWords()
    for text in texts:
        start, end = min(a, b, len(text)), min(max(a, b), len(text))
        for words in map(tuple, word_sets):
            expected = sorted({(i, i + len(w)) for w in set(words) for i in range(start, end - len(w) + 1) if text.startswith(w, i)})
            assert sorted(set(shared.hits(text, words, start, end))) == expected


def test_threads_sharing_the_keyword_scan_each_get_their_own_documents_words():
    import sys
    import threading

    from bulletin_miner.stages._rules import DocumentWords

    shared = DocumentWords()
    texts = {"a": "完成整改,问题" * 30, "b": "问题率占" * 40}
    words = {"a": ("完成", "问题"), "b": ("问题", "率占", "占问")}
    expected = {k: sorted({(i, i + len(w)) for w in words[k] for i in range(len(t)) if t.startswith(w, i)}) for k, t in texts.items()}
    wrong: list[str] = []

    def work(key: str) -> None:
        for _ in range(300):
            text = "".join(texts[key])  # a new object each time, as each document is
            if shared.hits(text, words[key], 0, len(text)) != expected[key]:
                wrong.append(key)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in ("a", "b", "a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not wrong


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["反馈", "会", "会议", "意见", "了", "于", "2024年", "十二月", "3月", "三十一日", "21日", "甲乙", "。", "\n"]), max_size=40
    ).map("".join)
)
# the farthest a feedback phrase reaches from its 反馈, on either side
@example("二〇二四年十二月三十一日" + "甲" * 40 + "反馈了")
@example("反馈会议" + "甲" * 12 + "于二〇二四年十二月三十一日")
def test_feedback_phrases_found_near_their_keyword_are_all_there_are(text):
    from bulletin_miner import vocab
    from bulletin_miner.stages._rules import pattern_matches

    windowed = [m.span() for m in pattern_matches("dates", "feedback", text, 0, len(text))]
    assert windowed == [m.span() for m in vocab.pattern("dates", "feedback").finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"2024年3月21日至4月19日号〇二零一十三.-/ 是第,。元万余", "\n"]), max_size=90))
# the longest each can be, so a reach too short for them fails here
@example("于二〇二四年十二月三十一日反馈,2024年12月31日、2023.12.31、3.0034万元")
@example("追回资金一千五百万余元")
def test_dates_and_amounts_found_near_their_keywords_are_all_there_are(text):
    # dates and amounts are looked for only around 日/号/separators and 元; that must miss none
    from bulletin_miner import vocab
    from bulletin_miner.stages._rules import pattern_matches

    for resource, key in (("dates", "date"), ("money", "amount")):
        windowed = [m.span() for m in pattern_matches(resource, key, text, 0, len(text))]
        assert windowed == [m.span() for m in vocab.pattern(resource, key).finditer(text)]


@given(
    st.lists(
        st.lists(st.sampled_from(["巡察", "整改", "通报", "完成", "问题", "16个", "。", " "]), min_size=1, max_size=8).map("".join),
        min_size=1,
        max_size=6,
    ),
    st.data(),
)
def test_a_metadata_line_before_any_line_leaves_the_text_fingerprint_as_it_was(lines, data):
    from bulletin_miner.batch import text_fingerprint

    label = data.draw(st.sampled_from(["来源:县纪委", "发布时间:2024-10-12", "索引号:001", "文章来源 | 市纪委", "发文字号:厦民〔2024〕51号"]))
    at = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    with_label = [*lines[:at], label, *lines[at:]]
    assert text_fingerprint("\n".join(with_label)) == text_fingerprint("\n".join(lines))


@settings(deadline=None)
@given(
    st.lists(
        st.sampled_from(["&nbsp;", "&ldquo;", "&rdquo;", "&amp;", "&#12288;", "&#x33;", "&bogus;", "&", ";", "巡察", "一、", "\n", " ", "ａ"]),
        max_size=40,
    ).map("".join)
)
def test_a_character_reference_maps_back_to_the_reference(source):
    import html
    import unicodedata

    from bulletin_miner.ingest.textnorm import normalize

    norm = normalize(source)
    for ch, src in zip(norm.text, norm.source_offsets, strict=True):
        if ch in " \n" or ch == source[src] or ch in unicodedata.normalize("NFKC", source[src]):
            continue
        reference = source[src : source.index(";", src) + 1]  # the '&' of a reference: what it names holds the character
        assert source[src] == "&" and ch in unicodedata.normalize("NFKC", html.unescape(reference))
