"""The outline stage: problems and measures as issues/measures rows."""

from __future__ import annotations

import json

import pytest
from conftest import GOLD, LEDGER_HEADER, LEDGER_OPENING, LEDGER_ROWS, RAW, WORD97, cases, ledger_docx

from bulletin_miner.api import extract_text

HEAD = "中共某县民政局党组关于巡察整改进展情况的通报\n"


@pytest.mark.parametrize("case", [pytest.param(c.values[0], id=c.values[0]["name"]) for c in cases("outline")])
def test_outline_fragments(case):
    record = extract_text(HEAD + case["text"])
    got = [[i["path"], i["title"], i["n_measures"]] for i in record.issues]
    assert got == case["expect"]
    assert len(record.measures) == sum(n for _, _, n in case["expect"])
    if "statuses" in case:
        assert [i["status"] for i in record.issues] == case["statuses"]
    for issue in record.issues:
        assert record.text[issue["title_start"] : issue["title_end"]] == issue["title"]


@pytest.mark.parametrize("path", sorted(GOLD.glob("*.json")), ids=lambda p: p.stem[:3])
def test_gold_issue_lists_are_reproduced_exactly(sample_records, path):
    answer = json.loads(path.read_text(encoding="utf-8"))
    record = sample_records[answer["document"]]
    got = [{"path": i["path"], "title": i["title"], "n_measures": i["n_measures"]} for i in record.issues]
    assert got == answer["issues"]


def test_stated_count_disagreeing_with_the_outline_is_warned_and_both_kept(sample_records):
    warned = {name: [w for w in r.warnings if w.startswith("outline:")] for name, r in sample_records.items()}
    assert warned.pop("004_707284983d94a040.txt") == ["outline: the document states issues_total 28 problems but lists 27"]
    assert not any(warned.values()), warned  # no false warning elsewhere
    record = sample_records["004_707284983d94a040.txt"]
    assert record.fields["issues_total"] == 28 and len(record.issues) == 27


def test_measures_have_labels_and_their_values_are_keyed_to_them(sample_records):
    record = sample_records["000_0c943710c0299a2d.txt"]
    first = [m for m in record.measures if m["issue_seq"] == 1]
    assert [m["label"] for m in first] == ["加强宣传力度", "拓宽宣传渠道", "强化平台作用"]
    dated = [f for f in record.facts if f.field == "measure_date"]
    assert dated and all(f.issue_seq and f.measure_seq for f in dated)
    bare = next(f for f in dated if f.text == "7月15日")
    assert str(bare.value) == "2024-07-15" and bare.status.value == "inferred"


def test_recovered_amount_inside_a_measure_is_traceable_to_its_problem():
    text = (
        HEAD
        + "一、关于“资金监管不到位”问题的整改进展情况\n1.针对“多付资金”问题的整改进展情况。\n一是追回资金。追回多付资金3.0034万元。二是建立内审制度。"
    )
    record = extract_text(text)
    amount = next(f for f in record.facts if f.field == "funds_recovered_cny")
    assert (amount.issue_seq, amount.measure_seq) == (1, 1)
    assert record.fields["funds_recovered_cny"] == 30034


def test_status_stated_at_the_start_of_a_problems_account():
    text = (
        HEAD
        + "一、关于“工程建设管理不规范”问题的整改情况\n1.关于“资金拨付滞后”的问题。已完成整改。通过加快审核流程,资金已全部拨付。\n2.关于“验收不严”的问题\n整改情况:正在整改。一是开展检查,已完成12个项目复查。"
    )
    statuses = [i["status"] for i in extract_text(text).issues]
    assert statuses == ["completed", "in_progress"]


def _windows(text: str, width: int = 28, step: int = 7) -> list[str]:
    return [text[i : i + width] for i in range(0, max(len(text) - width, 0) + 1, step)]


@pytest.mark.filterwarnings("ignore:pkg_resources is deprecated:UserWarning")  # jieba's own import of it
def test_the_label_segmenter_cuts_where_jieba_cuts_at_every_han_character():
    # rjieba is jieba's dictionary and algorithm in Rust; where they differ it is
    # only inside a run of digits, letters and signs (0576-83302110 kept whole)
    import logging

    import jieba
    import regex
    from conftest import RAW

    from bulletin_miner.ingest import load_document
    from bulletin_miner.stages.outline import _segmenter

    jieba.setLogLevel(logging.WARNING)
    han = regex.compile(r"\p{Han}")

    def cuts(words: list[str]) -> set[int]:
        ends, position = set(), 0
        for word in words:
            position += len(word)
            ends.add(position)
        return ends

    windows = [w for path in sorted(RAW.glob("*")) for w in _windows(load_document(path).normalized.text)]
    assert len(windows) > 2000
    for window in windows:
        differ = cuts(jieba.lcut(window)) ^ cuts(_segmenter().cut(window))
        assert not [p for p in differ if han.match(window[p - 1]) or (p < len(window) and han.match(window[p]))], window


def test_measure_labels_are_what_jieba_would_cut(sample_records):
    import logging

    import jieba

    from bulletin_miner.stages import outline

    jieba.setLogLevel(logging.WARNING)
    measures = [m for r in sample_records.values() for m in r.measures]
    long_ones = [m for m in measures if len(m["label"]) >= outline.MAX_LABEL_CHARS - 4]
    assert len(long_ones) > 20
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outline, "_segmenter", lambda: type("Jieba", (), {"cut": staticmethod(jieba.lcut)}))
        assert [outline.measure_label(m["text"]) for m in measures] == [m["label"] for m in measures]


def test_a_ledgers_cells_give_each_problem_its_aspect_status_and_measures():
    text = HEAD + "\n".join(
        [
            "截至目前,巡察反馈的2方面3个问题,已完成整改2个。",
            "| 序号 | 问题类别 | 存在问题 | 整改措施 | 整改进展 |",
            "| 1 | 党的建设方面 | 组织生活不规范 | 一是制定计划。二是追回违规发放补贴2.5万元。 | 已完成 |",
            "| 2 | 三会一课落实不到位 | (1)建立台账 (2)开展检查 | 持续推进 |",
            "| 3 | 作风建设方面 | 文山会海问题突出 | 精简会议 | 长期坚持 |",
        ]
    )
    record = extract_text(text)
    got = [(i["path"], i["aspect"], i["title"], i["status"], i["n_measures"]) for i in record.issues]
    assert got == [
        ("1", "党的建设方面", "组织生活不规范", "completed", 2),
        ("2", "党的建设方面", "三会一课落实不到位", "in_progress", 2),  # the aspect cell is merged over two rows
        ("3", "作风建设方面", "文山会海问题突出", "long_term", 0),
    ]
    assert [(m["issue_seq"], m["ordinal"], m["text"]) for m in record.measures] == [
        (1, "一", "制定计划。"),
        (1, "二", "追回违规发放补贴2.5万元。"),
        (2, "(1)", "建立台账"),
        (2, "(2)", "开展检查"),
    ]
    amount = next(f for f in record.facts if f.field == "funds_recovered_cny")
    assert (amount.value, amount.issue_seq, amount.measure_seq) == (25000, 1, 2)
    for issue in record.issues:
        assert record.text[issue["title_start"] : issue["title_end"]] == issue["title"]
        assert record.text[issue["char_start"] : issue["char_end"]].startswith("|")
    assert not [w for w in record.warnings if w.startswith("outline:")]  # 3 stated, 3 listed


LEDGER_ISSUES = [
    ("一/1", "学习贯彻党的二十大精神不深入", "completed", 2),
    ("一/2", "落实“一岗双责”不到位", "completed", 0),
    ("一/3", "项目资金管理不规范", "in_progress", 2),
]


def _ledger_page() -> bytes:
    # as Word saves a table as a web page: every cell's text in paragraphs of its own
    def row(cells):
        return (
            "<tr>"
            + "".join("<td>" + "".join(f"<p class=MsoNormal>{p}</p>" for p in ((c,) if isinstance(c, str) else c)) + "</td>" for c in cells)
            + "</tr>"
        )

    body = "".join(f"<p>{line}</p>" for line in LEDGER_OPENING[1:])
    title = f"<tr><td colspan={len(LEDGER_HEADER)}><p class=MsoNormal>巡察整改落实情况台账</p></td></tr>"  # a row across the table
    table = "<table class=MsoNormalTable>" + title + row(LEDGER_HEADER) + "".join(row(r) for r in LEDGER_ROWS) + "</table>"
    return f"<html><head><meta charset='utf-8'><title>通报</title></head><body><div class=article><h1>{LEDGER_OPENING[0]}</h1>{body}{table}<p>欢迎广大干部群众监督。</p></div></body></html>".encode()


@pytest.mark.parametrize(
    "name, make",
    [
        ("ledger.html", _ledger_page),
        ("ledger.docx", ledger_docx),
        ("ledger.doc", lambda: (WORD97 / "ledger.doc").read_bytes()),
        ("ledger.rtf", lambda: (WORD97.parent / "rtf" / "ledger.rtf").read_bytes()),
    ],
)
def test_a_ledger_saved_as_a_web_page_or_a_word_file_lists_its_problems(name, make):
    from bulletin_miner.ingest import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    record = run(source_from_bytes(make(), name), build_pipeline())
    assert [(i["path"], i["title"], i["status"], i["n_measures"]) for i in record.issues] == LEDGER_ISSUES
    assert [m["label"] for m in record.measures if m["issue_seq"] == 3] == ["追回违规资金12.5万元", "修订制度3项"]


def test_a_ledger_problem_merged_over_rows_has_each_rows_measures():
    text = HEAD + "\n".join(
        [
            "| 序号 | 存在问题 | 整改措施 | 完成情况 |",
            "| 1 | 制度不健全 | 修订财务制度 | 已完成 |",
            "| 制定采购办法,追回资金3万元 | 已完成 |",
            "| 2 | 作风不实 | 开展作风整顿 | 持续推进 |",
        ]
    )
    record = extract_text(text)
    assert [(m["issue_seq"], m["ordinal"], m["marker"], m["text"]) for m in record.measures] == [
        (1, "", "", "修订财务制度"),
        (1, "", "", "制定采购办法,追回资金3万元"),
    ]
    first = record.issues[0]
    assert record.text[first["char_start"] : first["char_end"]].endswith("| 制定采购办法,追回资金3万元 | 已完成 |")  # both its rows
    amount = next(f for f in record.facts if f.field == "funds_recovered_cny")
    assert (amount.value, amount.issue_seq, amount.measure_seq) == (30000, 1, 2)


def test_a_ledger_page_with_merged_cells_gives_each_row_its_columns():
    # a web page's rowspan and colspan, as long bulletins have them (trafilatura keeps
    # a long page's tables; the merged cells are filled in before it reads them)
    from bulletin_miner.ingest import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    opening = "".join(f"<p>{line}</p>" for line in (RAW / "000_0c943710c0299a2d.txt").read_text(encoding="utf-8").splitlines()[1:5])  # its preamble
    table = (
        "<table><thead><tr><th>序号</th><th>问题类别</th><th>存在问题</th><th colspan=2>整改措施</th><th>完成情况</th></tr></thead><tbody>"
        "<tr><td>1</td><td rowspan=3>党的建设方面</td><td rowspan=2>组织生活不规范</td><td colspan=2>修订制度</td><td>已完成</td></tr>"
        "<tr><td>2</td><td>开展检查</td><td>追回资金3万元</td><td>已完成</td></tr>"
        "<tr><td>3</td><td>学习不深入</td><td colspan=2>制定计划</td><td>持续推进</td></tr>"
        "</tbody></table>"
    )
    page = f"<html><head><meta charset='utf-8'><title>通报</title></head><body><div class=article><h1>关于巡察整改进展情况的通报</h1>{opening}<p>一、整改落实情况</p>{table}<p>欢迎监督。</p></div></body></html>"
    record = run(source_from_bytes(page.encode(), "ledger.html"), build_pipeline())
    assert [(i["path"], i["aspect"], i["title"], i["status"], i["n_measures"]) for i in record.issues] == [
        ("一/1", "党的建设方面", "组织生活不规范", "completed", 2),
        ("一/3", "党的建设方面", "学习不深入", "in_progress", 0),
    ]


def test_a_ledger_in_word_with_merged_cells_gives_each_row_its_columns():
    import io

    import docx

    from bulletin_miner.ingest import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    document = docx.Document()
    for line in LEDGER_OPENING:
        document.add_paragraph(line)
    table = document.add_table(rows=4, cols=6)
    for r, cells in enumerate(
        [
            ("序号", "问题类别", "存在问题", "整改措施", "", "完成情况"),
            ("1", "党的建设方面", "组织生活不规范", "修订制度", "", "已完成"),
            ("2", "", "", "开展检查", "追回资金3万元", "已完成"),
            ("3", "", "学习不深入", "制定计划", "", "持续推进"),
        ]
    ):
        for c, value in enumerate(cells):
            table.cell(r, c).text = value
    table.cell(0, 3).merge(table.cell(0, 4))  # 整改措施 across two columns (w:gridSpan)
    table.cell(1, 3).merge(table.cell(1, 4))
    table.cell(3, 3).merge(table.cell(3, 4))
    table.cell(1, 1).merge(table.cell(3, 1))  # the aspect down three rows, the problem down two (w:vMerge)
    table.cell(1, 2).merge(table.cell(2, 2))
    buffer = io.BytesIO()
    document.save(buffer)
    record = run(source_from_bytes(buffer.getvalue(), "ledger.docx"), build_pipeline())
    assert [(i["path"], i["aspect"], i["title"], i["status"], i["n_measures"]) for i in record.issues] == [
        ("一/1", "党的建设方面", "组织生活不规范", "completed", 2),
        ("一/3", "党的建设方面", "学习不深入", "in_progress", 0),
    ]


def test_a_bulletin_that_counts_its_problems_but_lists_none_readable_says_so():
    record = extract_text(HEAD + "截至目前,反馈的3个方面12个问题,已完成整改10个。\n整改工作扎实推进,成效明显。")
    assert record.issues == []
    assert "outline: the document states issues_total 12 problems but no list of them could be read" in record.warnings
