"""Whole-pipeline behaviour on short real phrasings (tests/cases/*.yml)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import cases

from bulletin_miner.api import extract_text

HEAD = "中共某县民政局党组关于巡察整改进展情况的通报\n"


def _value(v):
    return v.isoformat() if isinstance(v, dt.date) else v


@pytest.mark.parametrize("case", cases("dates"))
def test_dates(case):
    record = extract_text(HEAD + case["text"])
    for field, expected in case["expect"].items():
        assert _value(record.fields[field]) == (str(expected) if expected else None), field
    for field in case.get("inferred", []):
        statuses = {f.status.value for f in record.facts if f.field == field}
        assert statuses == {"inferred"}, field


@pytest.mark.parametrize("case", cases("pages"))
def test_page_headers(case):
    record = extract_text(case["text"])
    for field, expected in case["expect"].items():
        if isinstance(expected, (list, int, float)) and not isinstance(expected, bool):
            assert record.fields[field] == expected, field
        else:
            assert _value(record.fields[field]) == (str(expected) if expected is not None else None), field


@pytest.mark.parametrize("case", cases("units"))
def test_units(case):
    record = extract_text(case["text"].replace("\\n", "\n"))
    for field, expected in case["expect"].items():
        assert record.fields[field] == expected, field
    for field in case.get("inferred", []):
        assert {f.status.value for f in record.facts if f.field == field} == {"inferred"}, field


@pytest.mark.parametrize("case", cases("money"))
def test_money_recovered(case):
    record = extract_text(HEAD + case["text"])
    got = record.fields["funds_recovered_cny"]
    if case["expect"] is None:
        assert got is None
    else:
        assert got == Decimal(str(case["expect"]))  # exactly: 角 and 分 are cents, not float noise
        assert record.funds_lower_bound is bool(case.get("lower_bound", False))
        # one fact per amount summed, each pointing at its span
        for fact in record.facts:
            if fact.field == "funds_recovered_cny":
                assert record.text[fact.start : fact.end] == fact.text


@pytest.mark.parametrize("case", cases("inspectors"))
def test_inspectors(case):
    record = extract_text(HEAD + case["text"])
    assert record.fields["inspector"] == case["inspector"]
    assert record.fields["inspection_kind"] == case["kind"]
    assert record.fields["inspection_modes"] == case["modes"]
    if "round" in case:
        assert record.fields["inspection_round"] == case["round"]
    if "theme" in case:
        assert record.fields["inspection_theme"] == case["theme"]


@pytest.mark.parametrize("case", cases("contacts"))
def test_contacts(case):
    record = extract_text(HEAD + case["text"])
    for field, expected in case["expect"].items():
        assert record.fields[field] == (str(expected) if expected is not None else None), field


@pytest.mark.parametrize("case", cases("counts"))
def test_counts(case):
    record = extract_text(HEAD + case["text"])
    for field, expected in case["expect"].items():
        assert record.fields[field] == expected, field


LOOK_ALIKES = [
    ("市委第一巡察组向市教育局党组反馈巡察意见\n10月9日,市委第一巡察组向市教育局党组反馈巡察意见。", "feedback_notice"),
    ("关于印发《2024年度巡察整改工作方案》的通知\n各单位:现将方案印发给你们,请认真贯彻落实。", "work_plan"),
    ("县民政局2024年工作总结\n今年以来,县民政局坚持以人民为中心。", "work_summary"),
    ("市委巡察工作规程\n第一条 为规范巡察工作,制定本规程。", "rules"),
    ("十届市委第三轮巡察整改综合情况\n本轮巡察对12个单位党组织开展了常规巡察,巡察反馈的697个问题,完成整改688个。", "round_summary"),
    ("十届市委第五轮巡察完成反馈\n近日,市委5个巡察组分别向12个被巡察党组织反馈了巡察情况,共反馈问题283个。", "feedback_notice"),
    ("关于2023年度巡察整改工作情况的报告\n2023年,全县对36个单位党组织进行了巡察,发现问题697个,已完成整改688个。", "round_summary"),
    ("今年以来,县委第一巡察组对县民政局党组进行了巡察,现将巡察整改进展情况予以公布。已完成整改16个。", "rectification_bulletin"),
    ("县民政局召开巡察整改专题民主生活会\n会议通报了县委第一巡察组反馈问题的整改进展,反馈的16个问题已完成整改14个。", "other"),
]


@pytest.mark.parametrize("text, doc_type", LOOK_ALIKES)
def test_look_alikes_are_classified_and_get_nothing_they_do_not_state(text, doc_type):
    record = extract_text(text)
    assert record.fields["doc_type"] == doc_type
    assert record.fields["inspection_start"] is None  # none of them states a period
    if "巡察组" not in text:
        assert record.fields["inspector"] is None


# A document's type never blanks what it states (issue 17): a feedback
# notice, a launch announcement, a round summary and a meeting's news each
# give their team, period, feedback date, modes and round.
STATED_WHATEVER_THE_TYPE = [
    (
        "3月6日,市委第二巡察组巡察市水利局党组工作动员会召开。根据市委统一部署,2023年3月6日至5月6日,市委第二巡察组对市水利局党组开展常规巡察。",
        "feedback_notice",
        {"inspector": "市委第二巡察组", "inspection_start": "2023-03-06", "inspection_end": "2023-05-06", "inspection_modes": ["常规"]},
    ),
    (
        "根据县委统一安排,县委第二巡察组于2020年5月10日至7月30日对县人大机关等14个单位开展巡察。现公告如下:\n一、巡察主要任务",
        "feedback_notice",
        {"inspector": "县委第二巡察组", "inspection_start": "2020-05-10", "inspection_end": "2020-07-30"},
    ),
    (
        "十九届中央第五轮巡视整改进展情况开始公布\n根据党中央统一部署,十九届中央第五轮巡视对35个中央和国家机关单位党组织开展常规巡视。",
        "round_summary",
        {"inspection_round": "十九届中央第五轮", "inspection_kind": "巡视", "inspection_modes": ["常规"]},
    ),
    (
        "2025年1月22日下午,区委第二巡察组向区民政局党组反馈上下联动巡察暨“回头看”情况。局长主持会议并作表态发言。",
        "feedback_notice",
        {"inspector": "区委第二巡察组", "feedback_date": "2025-01-22", "inspection_modes": ["联动", "回头看"]},
    ),
]


@pytest.mark.parametrize("text, doc_type, stated", STATED_WHATEVER_THE_TYPE)
def test_what_a_document_states_is_read_whatever_its_type(text, doc_type, stated):
    record = extract_text(text)
    assert record.fields["doc_type"] == doc_type
    for field, expected in stated.items():
        assert _value(record.fields[field]) == expected, field


def test_bulletin_without_year_anywhere_leaves_dates_empty():
    record = extract_text(HEAD + "3月21日至4月19日,县委第一巡察组对县民政局党组进行了巡察。7月29日,反馈了巡察意见。")
    assert record.fields["inspection_start"] is None and record.fields["feedback_date"] is None


def test_agency_takes_the_city_from_the_address():
    record = extract_text(
        "市民政局党委关于巡察整改情况的通报\n2022年4月15日至6月8日,市委第二巡察组对市民政局党委进行了巡察。\n邮政信箱:徐州市新城区汉风路1号西综合区F603室。"
    )
    assert (record.fields["agency"], record.fields["province"], record.fields["city"]) == ("徐州市民政局", "江苏省", "徐州市")
    agency_fact = next(f for f in record.facts if f.field == "agency")
    assert agency_fact.status.value == "inferred" and agency_fact.text == "市民政局"


def test_a_bare_unit_the_document_cannot_place_is_no_agency():
    # a place-less abbreviation is no name (issue 17): empty, and said so
    record = extract_text("县民政局党组关于巡察整改情况的通报\n县委巡察组对县民政局党组进行了巡察。")
    assert record.fields["agency"] is None
    assert record.fields["province"] is None  # cpca alone would say 重庆市
    assert any("agency" in w for w in record.warnings)


def test_chrome_and_anonymised_names_survive():
    text = "来源:某县纪委 发布时间:2023-05-06 阅读量:1234\n" + HEAD + "县委第X巡察组对县民政局党组进行了巡察。\n分享到:\n版权所有 冀ICP备10010796号-2"
    record = extract_text(text)
    assert record.fields["published_date"] == dt.date(2023, 5, 6)
    assert "阅读量" not in record.text and "ICP" not in record.text
    assert record.fields["inspector"] == "县委第X巡察组"


@pytest.mark.parametrize(
    "title, admin_level, sector",
    [
        ("中共三门县民政局党组关于巡察整改进展情况的通报", "county", "civil_affairs"),
        ("中共沧州市残疾人联合会党组关于巡察整改进展情况的通报", "city", "disability"),
        ("中共城关镇党委关于巡察整改进展情况的通报", "township", "township"),
        ("中共杭州市城市建设投资集团有限公司委员会关于巡察整改进展情况的通报", "city", "soe"),
        ("中国农业银行党委关于巡视整改进展情况的通报", "central", "soe"),
        ("中共三门县委组织部关于县委巡察整改进展情况的通报", "county", "party_government"),  # 部 of a county committee, no ministry
        ("国家税务总局三门县税务局党委关于巡察整改进展情况的通报", "county", "tax"),  # a vertical system's local bureau
    ],
)
def test_unit_level_and_sector(title, admin_level, sector):
    record = extract_text(title + "\n现将整改进展情况予以公布。")
    assert record.fields["admin_level"] == admin_level
    assert record.fields["sector"] == sector


@pytest.mark.parametrize(
    "header, published, source",
    [
        ("发布时间:2024/1/18 10:20:35", "2024-01-18", None),
        ("发布日期:2024年1月18日 来源:县民政局", "2024-01-18", "县民政局"),
        ("【发布时间】2024-01-18 【来源】县民政局", "2024-01-18", "县民政局"),  # labels in brackets
        ("巡察时间:2023年4月6日", None, None),  # a bare 时间 label is no publication date
    ],
)
def test_page_metadata_lines(header, published, source):
    record = extract_text(HEAD + header + "\n现将整改进展情况予以公布。")
    assert _value(record.fields["published_date"]) == published
    assert record.fields["source_site"] == source


def test_a_municipal_district_has_no_city():
    # cpca's table says 市辖区 at the city level: a placeholder, not a city
    record = extract_text("中共北京市海淀区卫生健康委员会委员会关于巡察整改进展情况的通报\n现将整改进展情况予以公布。")
    assert (record.fields["province"], record.fields["city"], record.fields["county"]) == ("北京市", None, "海淀区")


def test_party_committee_written_in_full():
    record = extract_text("中共宁海县教育局委员会关于巡察整改进展情况的通报\n现将整改进展情况予以公布。")
    assert (record.fields["agency"], record.fields["party_body"], record.fields["county"]) == ("宁海县教育局", "党委", "宁海县")


def test_bare_unit_takes_its_city_from_the_phone_area_code():
    record = extract_text("市民政局党委关于巡察整改情况的通报\n市委第二巡察组对市民政局党委进行了巡察。\n联系电话:0516-83686560。")
    assert (record.fields["agency"], record.fields["city"], record.fields["place_evidence"]) == ("徐州市民政局", "徐州市", "phone_area_code")


def _known_failures():
    import yaml
    from conftest import CASES

    rows = yaml.safe_load((CASES / "known_failures.yml").read_text(encoding="utf-8")) or []
    return [pytest.param(row, id=row["name"], marks=pytest.mark.xfail(strict=True, reason="known failure")) for row in rows]


@pytest.mark.parametrize("case", _known_failures())
def test_known_failures(case):
    assert extract_text(case["text"]).fields[case["field"]] == case["expect"]


def test_a_title_broken_over_two_lines():
    record = extract_text("中共某县民政局党组关于巡察整改\n进展情况的通报\n县委第一巡察组对县民政局党组进行了巡察。现将整改进展情况予以公布。")
    assert record.fields["title"] == "中共某县民政局党组关于巡察整改进展情况的通报"
    assert (record.fields["agency"], record.fields["doc_type"]) == ("某县民政局", "rectification_bulletin")


NO_UNIT_HEAD = "关于巡察整改进展情况的通报\n县委第一巡察组进行了巡察。现将整改进展情况予以公布。\n"


@pytest.mark.parametrize(
    "signature, agency, party_body",
    [
        ("中共某县财政局党组\n2023年6月1日", "某县财政局", "党组"),
        ("中共宁海县教育局委员会\n二〇二三年六月一日", "宁海县教育局", "党委"),
        # a signature without a party body names no inspected unit
        ("某县财政局\n2023年6月1日", None, None),
        # a line holding a unit but no date under it is not a signature
        ("中共某县财政局党组", None, None),
    ],
)
def test_a_unit_named_only_in_the_closing_signature(signature, agency, party_body):
    record = extract_text(NO_UNIT_HEAD + signature)
    assert (record.fields["agency"], record.fields["party_body"]) == (agency, party_body)


def test_the_title_outranks_the_signature():
    record = extract_text(HEAD + "县委第一巡察组对县民政局党组进行了巡察。\n中共某县财政局党组\n2023年6月1日")
    assert record.fields["agency"] == "某县民政局"
