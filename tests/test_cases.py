"""Inspection cases: the documents of one inspection of one unit, linked by what they state."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from bulletin_miner.api import extract_paths
from bulletin_miner.cases import link_cases

D = dt.date


def doc(doc_id: str, doc_type: str, **fields) -> dict:
    base = {
        "doc_id": doc_id,
        "doc_type": doc_type,
        "agency": None,
        "province": None,
        "city": None,
        "county": None,
        "units_listed": [],
        "inspector": None,
        "inspection_round": None,
        "inspection_kind": None,
        "inspection_modes": [],
        "inspection_start": None,
        "inspection_end": None,
        "feedback_date": None,
        "published_date": None,
        "issues_total": None,
        "issues_completed": None,
    }
    return {**base, **fields}


SANMEN = {"province": "浙江省", "city": "台州市", "county": "三门县"}
UNIT = {"agency": "三门县民政局", **SANMEN}


def test_launch_feedback_and_two_bulletins_are_one_case():
    rows = link_cases(
        [
            doc(
                "b2",
                "rectification_bulletin",
                **UNIT,
                feedback_date=D(2024, 7, 29),
                published_date=D(2025, 3, 1),
                issues_total=16,
                issues_completed=16,
            ),
            doc("launch", "feedback_notice", **UNIT, inspector="县委第一巡察组", inspection_start=D(2024, 3, 21)),
            doc("fb", "feedback_notice", **UNIT, inspector="县委第一巡察组", feedback_date=D(2024, 7, 29)),
            doc(
                "b1",
                "rectification_bulletin",
                **UNIT,
                inspector="县委第一巡察组",
                published_date=D(2024, 10, 30),
                issues_total=16,
                issues_completed=12,
            ),
        ]
    )
    assert len(rows) == 1
    case = rows[0]
    assert (case["launch_doc_ids"], case["feedback_doc_ids"], case["bulletin_doc_ids"]) == (["launch"], ["fb"], ["b1", "b2"])
    assert case["documents"] == 4 and case["latest_bulletin_doc_id"] == "b2"
    assert case["days_feedback_to_first_bulletin"] == (D(2024, 10, 30) - D(2024, 7, 29)).days
    assert case["issues_completed_by_bulletin"] == [12, 16]  # the counts as they moved
    assert case["inspection_start"] == D(2024, 3, 21) and case["feedback_date"] == D(2024, 7, 29)
    assert all(" bulletin: " in link or " launch: " in link or " feedback: " in link for link in case["links"])
    assert "fb feedback: agency 三门县民政局, inspector" in case["links"]


def test_a_bulletin_with_nothing_but_its_publication_links_within_the_window():
    rows = link_cases(
        [
            doc("fb", "feedback_notice", **UNIT, feedback_date=D(2024, 7, 29)),
            doc("b", "rectification_bulletin", **UNIT, published_date=D(2024, 11, 2)),
        ]
    )
    assert len(rows) == 1
    assert rows[0]["links"][1] == "b bulletin: agency 三门县民政局, published 96 days after the feedback"


@pytest.mark.parametrize(
    "other",
    [
        doc("b", "rectification_bulletin", **UNIT, published_date=D(2024, 5, 1)),  # published before the feedback
        doc("b", "rectification_bulletin", **UNIT, published_date=D(2027, 1, 1)),  # years later, nothing shared
        doc("b", "rectification_bulletin", **UNIT, feedback_date=D(2021, 6, 1)),  # another feedback: another inspection
        doc("b", "rectification_bulletin", **UNIT, inspector="县委第三巡察组", published_date=D(2024, 9, 1)),  # another team
        doc("b", "rectification_bulletin", agency="三门县民政局", province="浙江省", city="台州市", county="天台县", published_date=D(2024, 9, 1)),
        doc("b", "rectification_bulletin", agency="三门县财政局", **SANMEN, published_date=D(2024, 9, 1)),  # another unit
    ],
)
def test_what_disagrees_or_shares_nothing_is_another_case(other):
    rows = link_cases([doc("fb", "feedback_notice", **UNIT, inspector="县委第一巡察组", feedback_date=D(2024, 7, 29)), other])
    assert len(rows) == 2 and all(row["documents"] == 1 for row in rows)


def test_a_document_that_fits_two_cases_joins_neither():
    rows = link_cases(
        [
            doc("fb1", "feedback_notice", **UNIT, inspector="县委第一巡察组", feedback_date=D(2024, 3, 1)),
            doc("fb2", "feedback_notice", **UNIT, inspector="县委第二巡察组", feedback_date=D(2024, 5, 1)),
            doc("b", "rectification_bulletin", **UNIT, published_date=D(2024, 9, 1)),
        ]
    )
    assert sorted(row["documents"] for row in rows) == [1, 1, 1]
    (own,) = [row for row in rows if row["bulletin_doc_ids"] == ["b"]]
    assert own["notes"] == ["b fits more than one case of 三门县民政局; not merged with any"]


def test_many_look_alike_documents_of_one_unit_are_linked_in_linear_work(monkeypatch):
    # two feedback notices make every later bulletin ambiguous: each is its own
    # case, and the next one need not be compared with all of those before it
    import bulletin_miner.cases as cases

    calls = 0
    matches = cases._matches

    def counted(*args):
        nonlocal calls
        calls += 1
        return matches(*args)

    monkeypatch.setattr(cases, "_matches", counted)
    feedback = [doc(f"fb{k}", "feedback_notice", **UNIT, inspector=f"县委第{k}巡察组", feedback_date=D(2024, 3, k)) for k in (1, 2)]
    bulletins = [doc(f"b{i:03d}", "rectification_bulletin", **UNIT, published_date=D(2024, 9, 1)) for i in range(300)]
    rows = link_cases(feedback + bulletins)
    assert len(rows) == 302
    assert calls <= 3 * len(bulletins)  # not 300 x 300 / 2


def test_news_listing_several_units_links_to_each_of_their_cases():
    rows = link_cases(
        [
            doc(
                "news",
                "feedback_notice",
                **SANMEN,
                units_listed=["县民政局", "县教育局", "财政金融局"],
                inspector="县委第一巡察组",
                feedback_date=D(2024, 7, 29),
            ),
            doc("b", "rectification_bulletin", **UNIT, published_date=D(2024, 10, 30)),
            doc("edu", "rectification_bulletin", agency="三门县教育局", **SANMEN, feedback_date=D(2024, 7, 29)),
        ]
    )
    by_unit = {row["agency"]: row for row in rows}
    assert by_unit["三门县民政局"]["feedback_doc_ids"] == ["news"] and by_unit["三门县民政局"]["bulletin_doc_ids"] == ["b"]
    assert by_unit["三门县教育局"]["feedback_doc_ids"] == ["news"] and by_unit["三门县教育局"]["links"] == [
        "news feedback: lists 县教育局 (三门县教育局)",
        "edu bulletin: agency 三门县教育局, feedback_date",
    ]
    assert by_unit["财政金融局"]["documents"] == 1  # named without a place: linked to nothing else
    assert len(rows) == 3


def test_a_follow_up_joins_the_units_inspection_before_it():
    rows = link_cases(
        [
            doc("fb", "feedback_notice", **UNIT, feedback_date=D(2022, 7, 29)),
            doc("again", "rectification_bulletin", **UNIT, inspection_modes=["回头看"], published_date=D(2024, 6, 1)),
        ]
    )
    assert len(rows) == 1 and rows[0]["follow_up_doc_ids"] == ["again"]


def test_rules_and_pages_of_another_kind_join_no_case():
    assert link_cases([doc("r", "rules", **UNIT), doc("o", "other", **UNIT), doc("s", "work_summary", **UNIT)]) == []


def test_a_run_writes_the_cases_table(tmp_path):
    from conftest import RAW

    extract_paths([RAW], tmp_path, workers=1)
    cases = pq.read_table(tmp_path / "cases.parquet").to_pylist()
    assert sorted(c["agency"] for c in cases) == ["三门县民政局", "厦门市民政局", "徐州市民政局", "沧州市残疾人联合会"]
    (sanmen,) = [c for c in cases if c["agency"] == "三门县民政局"]
    assert sanmen["feedback_date"] == D(2024, 7, 29) and sanmen["issues_total_by_bulletin"] == [16]


@pytest.mark.parametrize(
    ("key", "mine", "theirs", "same"),
    [
        ("inspector", "中央第二巡视组", "第二巡视组", True),  # a team is its ordinal and kind
        ("inspector", "中央第二巡视组", "中央第三巡视组", False),
        ("inspector", "中央巡视组", "中央第二巡视组", None),  # no ordinal: every central team
        ("inspector", "市委第一巡察组", "市委第一巡察组", True),
        ("inspection_round", "十九届中央第六轮", "第六轮", True),
        ("inspection_round", "十八届中央第六轮", "十九届中央第六轮", False),  # the same ordinal of another term
        ("inspection_round", "十八屆中央第十二輪", "十八届中央第十二轮", True),  # as written, in either script
        ("inspection_round", "第一批", "第六轮", None),
        ("feedback_date", D(2024, 7, 29), D(2024, 7, 29), True),
        ("feedback_date", D(2024, 7, 29), None, None),
    ],
)
def test_what_two_documents_state_of_their_inspection(key, mine, theirs, same):
    from bulletin_miner.cases import agree

    assert agree(key, mine, theirs) is same


def test_central_bodies_a_list_names_are_known_without_a_place():
    rows = link_cases(
        [
            doc("a", "feedback_notice", units_listed=["科技部", "中粮集团"], inspection_round="中央第三轮"),
            doc("b", "feedback_notice", units_listed=["科技部", "文化部"], inspection_round="十八届中央第三轮"),
        ]
    )
    (tech,) = [row for row in rows if row["agency"] == "科技部"]
    assert tech["launch_doc_ids"] == ["a", "b"] and tech["links"][1] == "b launch: lists 科技部 (科技部), inspection_round"
