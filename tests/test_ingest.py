"""Ingestion: encodings detected, pages reduced to their article, offsets map back."""
from __future__ import annotations

import codecs

import pytest

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest import load_document
from bulletin_miner.ingest.decode import decode
from bulletin_miner.ingest.textnorm import normalize

TEXT = "中共三门县民政局党组关于养老领域专项巡察整改进展情况的通报\n追回多付资金3.0034万元。"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("utf-16"), "utf-16-le"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16-bom", "utf16-le-nobom", "utf16-be-bom"],
)
def test_encodings_are_detected(data, encoding):
    text, detected = decode(data)
    assert text == TEXT
    assert detected == encoding


@pytest.mark.parametrize(
    "data, kind",
    [(b"", ErrorKind.EMPTY), (bytes(range(256)) * 40, ErrorKind.BINARY), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000), ErrorKind.BINARY)],
    ids=["empty", "random-binary", "png"],
)
def test_bad_bytes_raise_coded_errors(data, kind):
    with pytest.raises(BulletinError) as err:
        decode(data, "x.txt")
    assert err.value.kind is kind and "x.txt" in str(err.value)


def test_normalisation_maps_back_to_the_source():
    source = "来源：某县纪委　发布时间：2023－05－06\n\n（一）关于“落实不到位”问题\n分享到：微信\n追回资金３万元。"
    norm = normalize(source)
    assert norm.text == "来源:某县纪委发布时间:2023-05-06\n(一)关于“落实不到位”问题\n追回资金3万元。"
    start = norm.text.index("3万元")
    s, e = norm.to_source(start, start + 3)
    assert source[s:e] == "３万元"
    assert len(norm.source_offsets) == len(norm.text)
    from bulletin_miner.ingest.textnorm import source_span

    assert source_span(norm.offset_runs(), start, start + 3) == (s, e)


def test_circled_numerals_stay_outline_markers():
    assert normalize("①加强学习").text == "①加强学习"


def test_html_page_reduced_to_article(tmp_path):
    page = """<html><head><meta charset="gbk"><title>通报</title><script>document.write('广告')</script></head><body>
    <div class="nav"><a href="/">首页</a> | <a href="/x">工作动态</a></div>
    <h1>中共某县财政局党组关于巡察整改进展情况的通报</h1>
    <div class="info">来源:某县纪委监委 发布时间:2023-06-01 浏览次数:321</div>
    <div class="content"><p>2023年3月1日至4月30日,县委第二巡察组对县财政局党组进行了巡察。2023年5月20日,县委第二巡察组向县财政局党组反馈了巡察意见。</p>
    <p>截至目前,巡察反馈的3方面12个问题,已完成整改12个。追回资金5000元。</p></div>
    <div class="footer">版权所有:某县纪委 ICP备123号</div></body></html>"""
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("gbk"))
    source = load_document(path)
    text = source.normalized.text
    assert text.startswith("中共某县财政局党组关于巡察整改进展情况的通报")
    assert "发布时间:2023-06-01" in text
    assert "document.write" not in text and "首页" not in text and "ICP" not in text and "浏览次数" not in text


def test_html_by_content_under_unknown_extension(tmp_path):
    path = tmp_path / "saved.dat"
    path.write_text("<html><body><h1>关于巡察整改情况的通报</h1><p>正文内容足够长,县委巡察组对县民政局党组进行了巡察,现将整改情况予以公布。</p></body></html>", encoding="utf-8")
    assert "<p>" not in load_document(path).normalized.text


def test_missing_file_is_a_coded_error(tmp_path):
    with pytest.raises(BulletinError) as err:
        load_document(tmp_path / "gone.txt")
    assert err.value.kind is ErrorKind.NOT_FOUND


def test_a_saved_government_page_in_gb2312():
    """Navigation, breadcrumbs, share bar, related links, footer and scripts
    around the article; metadata with full-width colons; GB2312 bytes."""
    from bulletin_miner.api import extract_text  # noqa: F401  (pipeline import check)
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import build_pipeline, run
    from conftest import ROOT

    source = load_document(ROOT / "tests" / "fixtures" / "gov_page_gb2312.htm")
    text = source.normalized.text
    assert text.splitlines()[0] == "中共三门县民政局党组关于养老领域专项巡察整改进展情况的通报"
    for junk in ("当前位置", "相关链接", "版权所有", "分享到", "扫一扫", "jquery", "浏览次数", "字体"):
        assert junk not in text, junk
    record = run(source, build_pipeline())
    assert str(record.fields["published_date"]) == "2024-10-12"
    assert record.fields["source_site"] == "县民政局"
    assert record.fields["funds_recovered_cny"] == 30034 and record.fields["issues_total"] == 16


def test_the_quick_junk_check_agrees_with_the_full_count_for_every_character():
    # the quick check says "none" only where the character class finds none
    from bulletin_miner.ingest.decode import _JUNK, _junk_share

    disagree = []
    for code in range(0x110000):
        text = "巡察" + chr(code) + "整改\n"
        if (_junk_share(text) == 0.0) != (_JUNK.search(text) is None):
            disagree.append(hex(code))
    assert not disagree
