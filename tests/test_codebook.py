"""The codebook: each problem's category and each measure's kind, decided by cues, with the cue as evidence."""

from __future__ import annotations

import pytest
from conftest import ROOT

from bulletin_miner.errors import BulletinError
from bulletin_miner.stages import codebook as cb

BOOK = cb.codebook()


def _examples(scheme: cb.Scheme) -> list:
    return [pytest.param(entry.id, example, id=f"{entry.id}:{example}") for entry in scheme.entries.values() for example in entry.examples]


@pytest.mark.parametrize(("category", "title"), _examples(BOOK.categories))
def test_each_example_title_is_decided_as_its_category(category, title):
    assert BOOK.categories.decide_words(title) == category


@pytest.mark.parametrize(("kind", "opening"), _examples(BOOK.kinds))
def test_each_example_opening_is_decided_as_its_kind(kind, opening):
    assert BOOK.kinds.decide_words(opening) == kind


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("公务用车管理不规范", "conduct"),
        ("落实全面从严治党主体责任不到位", "responsibility"),  # 全面从严治党 and 主体责任: one category
        ("上轮巡察反馈问题整改不到位", "earlier_rectification"),
        ("专项资金使用不规范", "finance"),
        ("三会一课制度落实不到位", "grassroots"),
        ("服务大局意识不强", "policy"),  # 服务大局 (policy) is longer than any service cue
        ("重点领域廉洁风险防控不到位", "integrity"),
        ("工作推进有差距", None),  # nothing says what kind: uncategorised, never a default
    ],
)
def test_a_title_alone(title, category):
    assert BOOK.categories.decide_words(title) == category


def test_the_title_decides_before_the_headings_above_it():
    text = "落实全面从严治党战略部署方面\n公务用车管理不规范"
    aspect, title = (0, 13), (14, len(text))
    decision = BOOK.categories.decide(text, [("title", title), ("heading", None), ("aspect", aspect)])
    assert (decision.entry, decision.where, decision.cue) == ("conduct", "title", "公务用车")
    assert text[decision.start : decision.end] == "公务用车"


def test_the_aspect_decides_a_title_that_says_nothing():
    text = "落实上级决策部署方面\n工作推进有差距"
    decision = BOOK.categories.decide(text, [("title", (11, len(text))), ("heading", None), ("aspect", (0, 10))])
    assert (decision.entry, decision.where, text[decision.start : decision.end]) == ("policy", "aspect", "决策部署")


def test_within_one_text_the_longest_cue_wins_then_the_first_written():
    assert BOOK.categories.decide_words("党建工作与财务管理不规范") == "grassroots"  # 党建工作 and 财务 both: the longer first
    assert BOOK.categories.decide_words("财务与党费管理不规范") == "finance"  # 财务 and 党费, as long: the first written


def test_a_cue_in_two_categories_is_refused(monkeypatch):
    from bulletin_miner import vocab

    data = {
        "categories": [
            {"id": "a", "name": "甲", "definition": "d", "cues": ["资金"]},
            {"id": "b", "name": "乙", "definition": "d", "cues": ["资金"]},
        ],
        "kinds": [{"id": "k", "name": "丙", "definition": "d", "cues": ["制定"]}],
    }
    monkeypatch.setattr(vocab, "load", lambda resource: data)
    cb.codebook.cache_clear()
    try:
        with pytest.raises(BulletinError, match="资金 is in both a and b"):
            cb.codebook()
    finally:
        cb.codebook.cache_clear()


def test_every_decision_is_a_fact_whose_span_is_the_cue(sample_records):
    decided = 0
    for record in sample_records.values():
        categories = {f.issue_seq: f for f in record.facts if f.field == "issue_category"}
        kinds = {(f.issue_seq, f.measure_seq): f for f in record.facts if f.field == "measure_kind"}
        for issue in record.issues:
            fact = categories.get(issue["seq"])
            assert (fact.value if fact else None) == issue["category"]
            if fact:
                decided += 1
                assert record.text[fact.start : fact.end] == fact.text
                assert fact.text in BOOK.categories.entries[fact.value].cues
                assert fact.rule in ("category_from_title", "category_from_heading", "category_from_aspect")
        for measure in record.measures:
            fact = kinds.get((measure["issue_seq"], measure["measure_seq"]))
            assert (fact.value if fact else None) == measure["kind"]
            if fact:
                assert measure["char_start"] <= fact.start < fact.end <= measure["char_end"]
    assert decided >= 40


def test_the_codebook_page_is_current():
    on_disk = (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert on_disk == cb.codebook_page(), "docs/codebook.md is stale: run `bulletin-miner dictionary`"


def _agreement(sample_records) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Per label: [labelled, agreed] for categories and for kinds, against tests/codebook_labels.yml."""
    import yaml

    labels = yaml.safe_load((ROOT / "tests" / "codebook_labels.yml").read_text(encoding="utf-8"))
    by_doc = {name.split(".")[0]: record for name, record in sample_records.items()}
    categories: dict[str, list[int]] = {}
    kinds: dict[str, list[int]] = {}
    for label in labels:
        record = by_doc[label["doc"]]
        issue = next(i for i in record.issues if i["path"] == label["path"])
        row = categories.setdefault(label["category"], [0, 0])
        row[0] += 1
        row[1] += (issue["category"] or "none") == label["category"]
        measures = [m for m in record.measures if m["issue_seq"] == issue["seq"]]
        for measure, kind in zip(
            measures, label["kinds"], strict=False
        ):  # a measure found but not labelled, or labelled but not found, is not scored
            row = kinds.setdefault(kind, [0, 0])
            row[0] += 1
            row[1] += (measure["kind"] or "none") == kind
    return categories, kinds


def test_the_codebook_agrees_with_the_hand_labels_of_the_samples(sample_records):
    categories, kinds = _agreement(sample_records)

    def agreed(table):
        return sum(v[1] for v in table.values()) / sum(v[0] for v in table.values())

    assert sum(v[0] for v in categories.values()) == 52
    assert agreed(categories) >= 0.9  # 49 of 52 when written
    assert agreed(kinds) >= 0.6  # 111 of 179: what a measure mainly does is often a judgement
