"""Ingestion: encodings detected, pages reduced to their article, offsets map back."""

from __future__ import annotations

import codecs

import pytest
from conftest import RAW, WORD97
from hypothesis import given
from hypothesis import strategies as st

from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest import load_document
from bulletin_miner.ingest.decode import decode
from bulletin_miner.ingest.textnorm import normalize

TEXT = "中共三门县民政局党组关于养老领域专项巡察整改进展情况的通报\n追回多付资金3.0034万元。"
# What a document must give alike, read from its text and from another format of it.
READ_ALIKE = (
    "title",
    "agency",
    "inspector",
    "inspection_start",
    "feedback_date",
    "issues_total",
    "issues_completed",
    "funds_recovered_cny",
    "rules_established",
)


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
    decoded = decode(data)
    assert decoded.text == TEXT
    assert decoded.encoding == encoding


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16-le", "utf-16"])
@pytest.mark.parametrize("padding", [1, 100, 8192])
def test_nul_padding_after_a_text_is_cut_off_and_said(encoding, padding):
    # a download preallocated, a file written in fixed blocks: it was E004 binary
    from bulletin_miner.ingest.source import source_from_bytes

    bulletin = (RAW / "000_0c943710c0299a2d.txt").read_text(encoding="utf-8")
    nul = "\x00".encode("utf-16-le" if encoding.startswith("utf-16") else encoding)  # "utf-16": its BOM once, at the start
    source = source_from_bytes(bulletin.encode(encoding) + nul * padding, "padded.txt")
    assert source.normalized.text == normalize(bulletin).text
    assert f"decode: {padding} NUL characters after the text (padding) left out" in source.warnings


def test_nuls_inside_a_text_are_still_not_text():
    with pytest.raises(BulletinError) as err:
        decode("巡察\x00整改\x00情况".encode() * 100)
    assert err.value.kind is ErrorKind.BINARY


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
    path.write_text(
        "<html><body><h1>关于巡察整改情况的通报</h1><p>正文内容足够长,县委巡察组对县民政局党组进行了巡察,现将整改情况予以公布。</p></body></html>",
        encoding="utf-8",
    )
    assert "<p>" not in load_document(path).normalized.text


def test_missing_file_is_a_coded_error(tmp_path):
    with pytest.raises(BulletinError) as err:
        load_document(tmp_path / "gone.txt")
    assert err.value.kind is ErrorKind.NOT_FOUND


def test_a_saved_government_page_in_gb2312():
    """Navigation, breadcrumbs, share bar, related links, footer and scripts
    around the article; metadata with full-width colons; GB2312 bytes."""
    from conftest import ROOT

    from bulletin_miner.api import extract_text  # noqa: F401  (pipeline import check)
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import build_pipeline, run

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
    from bulletin_miner.ingest.decode import _JUNK, junk_share

    disagree = []
    for code in range(0x110000):
        text = "巡察" + chr(code) + "整改\n"
        if (junk_share(text) == 0.0) != (_JUNK.search(text) is None):
            disagree.append(hex(code))
    assert not disagree


# --- a few bytes that are not UTF-8 ------------------------------------------

BULLETIN = sorted(RAW.glob("*.txt"))[0].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b.replace("巡察意见".encode(), "巡察".encode() + b"\xa9" + "意见".encode(), 1),  # a Latin-1 © pasted in
        lambda b: b.replace("巡察意见".encode(), "巡察".encode() + "意".encode()[:2] + "见".encode(), 1),  # a byte lost
        lambda b: b.replace("巡察意见".encode(), "巡察".encode() + b"\xff\xfe" + "意见".encode(), 1),  # bytes no UTF-8 holds: each its own
    ],
    ids=["latin1-copyright", "byte-lost", "ff-fe"],
)
def test_a_utf8_text_with_a_few_bad_bytes_is_read_with_each_marked(damage):
    result = decode(damage(BULLETIN.encode()), "x.txt")
    assert result.encoding == "utf-8" and result.invalid_sequences == result.text.count("\ufffd") >= 1
    # every character but the damaged one is what was written
    assert result.text.replace("\ufffd", "").replace("巡察见", "巡察意见") == BULLETIN


# (at the very end, a cut-off character is a download cut short: dropped, see decode's doctests)
@given(st.integers(min_value=0, max_value=len(BULLETIN) - 1), st.sampled_from([b"\x80", b"\xa9", b"\xc3", b"\xe4\xb8", b"\xff", b"\xf0\x9f"]))
def test_one_bad_sequence_anywhere_becomes_one_replacement_character_there(position, bad):
    data = BULLETIN[:position].encode() + bad + BULLETIN[position:].encode()
    result = decode(data)
    assert (result.text, result.invalid_sequences) == (BULLETIN[:position] + "\ufffd" + BULLETIN[position:], 1)


@pytest.mark.parametrize(
    "data",
    [
        BULLETIN.encode("gb18030").replace("巡察".encode("gb18030"), b"\x81", 1),  # GB18030 with a broken sequence: never read leniently
        "巡察整改情况的通报\n".encode() + "追回资金3万元。".encode("gbk") * 50,  # UTF-8 and GBK mixed: far too many to mark
        ("巡察整改" * 10).encode() + b"\xa9",  # a short text: one in 41 characters is too many
    ],
    ids=["gb18030-damaged", "mixed-encodings", "short"],
)
def test_texts_that_are_not_mostly_utf8_stay_undecodable(data):
    with pytest.raises(BulletinError) as err:
        decode(data, "x.txt")
    assert err.value.kind is ErrorKind.UNDECODABLE


# Each of these, read past the U+FFFD, gave a figure the text may not hold
# (16 with its 1 lost reads 6; 3万元 may have been 13万元): now a gap, and a warning.
@pytest.mark.parametrize(
    "sentence, field",
    [
        ("巡察反馈的三方面\ufffd6个问题,已完成整改16个。", "issues_total"),
        ("追回多付资金\ufffd3.0034万元。", "funds_recovered_cny"),
        ("追回多付资金\ufffd3万元。", "funds_recovered_cny"),
        ("谈话提醒\ufffd9人次。", "people_talked"),
    ],
)
def test_a_figure_beside_an_unreadable_character_is_left_out_and_said(sentence, field):
    from bulletin_miner.api import extract_text

    text = BULLETIN
    for stated in ("巡察反馈的三方面16个问题,已完成整改16个。", "追回多付资金3.0034万元。", "谈话提醒19人次。"):
        text = text.replace(stated, "")
    record = extract_text(text + "\n" + sentence)
    assert record.fields.get(field) is None
    assert any(w.startswith(f"{field}: ") and "unreadable character" in w for w in record.warnings)


def test_a_bulletin_with_a_stray_byte_is_extracted_and_says_so(tmp_path):
    from bulletin_miner.pipeline import build_pipeline, run

    path = tmp_path / "stray.txt"
    path.write_bytes(BULLETIN.encode().replace("巡察意见".encode(), "巡察".encode() + b"\xa9" + "意见".encode(), 1))
    record = run(load_document(path), build_pipeline())
    assert record.fields["issues_total"] == 16 and record.fields["agency"] == "三门县民政局"
    assert record.warnings[0].startswith("decode: 1 byte sequence(s) are not UTF-8")


# --- the same bulletin in the page layouts sites use --------------------------


def _page(title: str, body: list[str], layout: str) -> str:
    import html

    lines = [html.escape(line) for line in body]
    data_table = "<table border=1><tr><td>序号</td><td>问题</td><td>状态</td></tr><tr><td>1</td><td>学习不深入</td><td>已完成</td></tr></table>"
    content = {
        "paragraphs": "".join(f"<p>{line}</p>" for line in lines),
        "line breaks": "<br>".join(lines),
        "unclosed paragraphs": "".join(f"<p>{line}" for line in lines),
        "a data table inside": "".join(f"<p>{line}</p>" for line in lines[:3]) + data_table + "".join(f"<p>{line}</p>" for line in lines[3:]),
    }[layout.removeprefix("layout table, ")]
    article = f"<h1>{html.escape(title)}</h1><div class='article'>{content}</div>"
    if layout.startswith("layout table"):  # older government sites: the page a table, the article a cell of a table in it
        article = (
            f"<table><tr><td><table><tr><td class='title'><b>{html.escape(title)}</b></td></tr>"
            f"<tr><td class='content'>{content}</td></tr></table></td></tr></table>"
        )
    navigation = "<table><tr><td><a href='/'>首页</a> | <a href='/a'>工作动态</a> | <a href='/b'>巡察工作</a></td></tr></table>"
    return f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>{navigation}{article}<div>版权所有 ICP备12345678号</div></body></html>"


@pytest.mark.parametrize("sample", ["000_0c943710c0299a2d.txt", "004_707284983d94a040.txt"])
@pytest.mark.parametrize(
    "layout",
    [
        "paragraphs",
        "line breaks",
        "unclosed paragraphs",
        "a data table inside",
        "layout table, paragraphs",
        "layout table, line breaks",
        "layout table, a data table inside",
    ],
)
def test_a_bulletin_reads_the_same_in_any_page_layout(sample, layout):
    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    lines = [
        line for line in (RAW / sample).read_text(encoding="utf-8").splitlines() if line.strip() not in ("", "|")
    ]  # 004 opens with a scraped "|"
    as_text = run(load_document(RAW / sample), build_pipeline())
    as_page = run(source_from_bytes(_page(lines[0], lines[1:], layout).encode(), f"{sample}.html"), build_pipeline())
    compared = READ_ALIKE
    assert {k: as_page.fields.get(k) for k in compared} == {k: as_text.fields.get(k) for k in compared}
    assert [i["title"] for i in as_page.issues] == [i["title"] for i in as_text.issues]
    assert len(as_page.measures) == len(as_text.measures)
    if "data table" in layout:  # a real table inside the article keeps its rows
        assert "| 1 | 学习不深入 | 已完成 |" in as_page.text
    assert "首页" not in as_page.text and "ICP" not in as_page.text  # the navigation and the footer are chrome


@pytest.mark.parametrize("charset", ["utf-8", "gb2312"])
@pytest.mark.parametrize("transfer_encoding", ["quoted-printable", "base64"])
@pytest.mark.parametrize("start", [False, True], ids=["page first", "page named by start"])
def test_a_bulletin_saved_as_one_file_reads_as_its_page_does(charset, transfer_encoding, start):
    # .mht/.mhtml: a MIME package; read as text it gave no article (quoted-printable) or base64
    from conftest import mhtml

    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    sample = "000_0c943710c0299a2d.txt"
    lines = [line for line in (RAW / sample).read_text(encoding="utf-8").splitlines() if line.strip()]
    page = _page(lines[0], lines[1:], "paragraphs").replace("charset='utf-8'", f"charset='{charset}'")
    as_page = run(source_from_bytes(page.encode("gb18030" if charset == "gb2312" else charset), "page.html"), build_pipeline())
    saved = source_from_bytes(mhtml(page, charset, transfer_encoding, start), "page.mht")
    assert saved.encoding == {"gb2312": "gb18030"}.get(charset, charset)
    as_saved = run(saved, build_pipeline())
    assert as_saved.text == as_page.text and as_saved.fields == as_page.fields
    assert len(as_saved.issues) == 16


@pytest.mark.parametrize("declared", ["iso-8859-1", "windows-1252", "gb2312", "x-unknown\x00"])
def test_a_saved_page_in_utf8_declared_otherwise_is_read_as_utf8(declared):
    # a wrong or unknown charset in the package is not taken at its word (ISO-8859-1 never fails: mojibake)
    from conftest import mhtml

    from bulletin_miner.ingest.source import source_from_bytes

    saved = mhtml("<html><body><h1>关于巡察整改进展情况的通报</h1><p>追回资金3万元。</p></body></html>", "utf-8").replace(
        b'charset="utf-8"', f'charset="{declared}"'.encode()
    )
    assert "追回资金3万元" in source_from_bytes(saved, "page.mht").normalized.text


def test_a_saved_page_part_whose_content_id_is_not_ascii_is_still_found():
    # found by fuzzing: such a header comes as an email.header.Header, not a str
    from conftest import mhtml

    from bulletin_miner.ingest.source import source_from_bytes

    saved = mhtml("<html><body><p>追回资金3万元。</p></body></html>", start=True).replace(
        b"Content-ID: <frame-page", b"Content-ID: <\xe9\xa1\xb5frame-page"
    )
    assert "追回资金3万元" in source_from_bytes(saved, "page.mht").normalized.text


def test_a_saved_page_whose_base64_lost_a_character_is_a_damaged_file_not_its_encoding_read_as_text():
    from conftest import mhtml

    from bulletin_miner.ingest.source import source_from_bytes

    saved = mhtml("<html><body><p>" + "巡察整改情况" * 50 + "</p></body></html>", "utf-8", "base64")
    cut = saved.find(b"base64") + 200
    with pytest.raises(BulletinError) as raised:
        source_from_bytes(saved[:cut] + saved[cut + 1 :], "page.mht")
    assert raised.value.kind is ErrorKind.CORRUPT


def test_a_saved_page_package_without_a_page_is_said_so():
    from email.message import EmailMessage

    from bulletin_miner.ingest.source import source_from_bytes

    package = EmailMessage()
    package["MIME-Version"] = "1.0"
    package.make_related()
    image = EmailMessage()
    image.set_content(bytes(64), maintype="image", subtype="png")
    package.attach(image)
    with pytest.raises(BulletinError) as raised:
        source_from_bytes(package.as_bytes(), "images-only.mht")
    assert raised.value.kind is ErrorKind.NO_TEXT and "MHTML" in raised.value.message


@pytest.mark.parametrize(
    "line, dropped",
    [
        ("| 首页 \\| 工作动态 \\| 巡察工作 |", True),  # a navigation table as trafilatura writes it
        ("首页 > 纪检监察 > 巡察工作", True),
        ("首页 / 巡察工作 / 正文", True),
        ("当前位置:首页 > 巡察工作", True),
        ("您现在的位置:首页", True),
        ("首页", False),  # a word alone is not a breadcrumb
        ("首页发布的巡察整改通报", False),
        ("县纪委网站首页 > 公告", False),  # the rule is for a line that starts where the site does
    ],
)
def test_where_the_page_sits_is_chrome(line, dropped):
    text = normalize(line + "\n追回资金3万元。").text
    assert (line.split()[0] not in text) is dropped


@pytest.mark.parametrize(
    "page, kept",
    [
        ("【打印本页】【关闭窗口】", ""),
        ("责任编辑:张三", ""),
        ("审核:李四", ""),
        ("发布日期:2024年01月18日 浏览次数:352 字号:[大 中 小]", "发布日期:2024年01月18日"),
        ("编辑部门对整改情况进行了审核。", "编辑部门对整改情况进行了审核。"),  # a sentence, not a byline
    ],
)
def test_page_tools_and_bylines_are_chrome(page, kept):
    assert normalize(page + "\n追回资金3万元。").text == (kept + "\n" if kept else "") + "追回资金3万元。"


# --- PDFs: a text layer breaks every paragraph at the page's width ------------


@pytest.mark.parametrize("width", [28, 34, 38, 45])  # 28: the official document standard's characters a line (GB/T 9704)
@pytest.mark.parametrize("sample", ["000_0c943710c0299a2d.txt", "001_7162a60a943e85f9.txt", "004_707284983d94a040.txt"])
def test_a_bulletin_typeset_as_a_pdf_reads_as_its_text_does(sample, width):
    from conftest import cjk_pdf, typeset

    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    text = (RAW / sample).read_text(encoding="utf-8")
    lines = [line for paragraph in text.splitlines() if paragraph.strip() for line in typeset(paragraph, width)]
    # 22 lines a page (GB/T 9704), each page numbered at its foot: — 1 —
    pages = [[*lines[i : i + 22], f"— {n} —"] for n, i in enumerate(range(0, len(lines), 22), start=1)]
    pdf = cjk_pdf([line for page in pages for line in page], lines_per_page=23)
    as_text = run(load_document(RAW / sample), build_pipeline())
    as_pdf = run(source_from_bytes(pdf, f"{sample}.pdf"), build_pipeline())
    compared = (*READ_ALIKE, "inspection_end", "people_talked", "published_date", "phone", "email")
    assert {k: as_pdf.fields.get(k) for k in compared} == {k: as_text.fields.get(k) for k in compared}
    assert [i["title"] for i in as_pdf.issues] == [i["title"] for i in as_text.issues]
    assert [m["label"] for m in as_pdf.measures] == [m["label"] for m in as_text.measures]
    assert "— " not in as_pdf.text  # page numbers are not text


@given(st.text(alphabet=st.sampled_from([*"一二、(一)1.是关于问题。整改情况:通报来源巡察组2024年 ab", "\n"]), max_size=400))
def test_rejoining_a_pdfs_lines_only_ever_removes_line_breaks(text):
    """Every character is kept in order; a line break is kept, removed, or
    (between two Latin letters only) becomes a space."""
    from bulletin_miner.ingest.pagetext import rejoin_wrapped_lines

    rejoined, at = rejoin_wrapped_lines(text), 0
    for i, ch in enumerate(text):
        if ch != "\n":
            assert rejoined[at] == ch
            at += 1
        elif rejoined[at : at + 1] == "\n" or (
            rejoined[at : at + 1] == " "
            and text[i - 1 : i].isalpha()
            and text[i - 1 : i].isascii()
            and text[i + 1 : i + 2].isalpha()
            and text[i + 1 : i + 2].isascii()
        ):
            at += 1
    assert at == len(rejoined)


# --- .docx: Word's automatic numbering ----------------------------------------


@pytest.mark.parametrize("by_style", [False, True], ids=["numbered paragraphs", "numbered heading styles"])
@pytest.mark.parametrize("sample", ["000_0c943710c0299a2d.txt", "001_7162a60a943e85f9.txt", "004_707284983d94a040.txt"])
def test_a_bulletin_numbered_by_word_reads_as_its_text_does(sample, by_style):
    from conftest import auto_numbered_docx

    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    lines = [line for line in (RAW / sample).read_text(encoding="utf-8").splitlines() if line.strip() not in ("", "|")]
    as_text = run(load_document(RAW / sample), build_pipeline())
    as_docx = run(source_from_bytes(auto_numbered_docx(lines, by_style), f"{sample}.docx"), build_pipeline())
    compared = READ_ALIKE
    assert {k: as_docx.fields.get(k) for k in compared} == {k: as_text.fields.get(k) for k in compared}
    assert [(i["path"], i["title"]) for i in as_docx.issues] == [(i["path"], i["title"]) for i in as_text.issues]
    assert [m["label"] for m in as_docx.measures] == [m["label"] for m in as_text.measures]


def _word_list(
    formats: list[tuple[str, str]], paragraphs: list[tuple[str, int | None, int]], overrides: dict[int, dict[int, int]] | None = None
) -> list[str]:
    """Labels Word would draw: `formats` (numFmt, lvlText) by level; paragraphs (text, level or None, numId)."""
    import io

    import docx
    from conftest import numbered_docx

    from bulletin_miner.ingest.numbering import ListNumbering

    document = docx.Document(io.BytesIO(numbered_docx(formats, paragraphs, overrides)))
    numbering = ListNumbering(document)
    return [numbering.label(p) for p in document.paragraphs]


@pytest.mark.parametrize(
    "formats, levels, drawn",
    [
        # a deeper level restarts under each higher one
        ([("chineseCounting", "%1、"), ("chineseCounting", "（%2）")], [0, 1, 1, 0, 1], ["一、", "（一）", "（二）", "二、", "（一）"]),
        ([("decimal", "%1."), ("decimal", "%1.%2")], [0, 1, 1, 0], ["1.", "1.1", "1.2", "2."]),
        (
            [("chineseCountingThousand", "%1、")],
            [0] * 12,
            ["一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、", "十、", "十一、", "十二、"],
        ),
        ([("decimalEnclosedCircle", "%1")], [0, 0], ["①", "②"]),
        ([("ideographTraditional", "%1.")], [0, 0], ["甲.", "乙."]),
        ([("decimalFullWidth", "%1．")], [0], ["１．"]),
        ([("chineseLegalSimplified", "%1、")], [0, 0, 0], ["壹、", "贰、", "叁、"]),
        ([("upperRoman", "%1."), ("upperLetter", "%2.")], [0, 1, 1, 0, 1], ["I.", "A.", "B.", "II.", "A."]),
        ([("lowerRoman", "(%1)"), ("lowerLetter", "%2)")], [0, 0, 0, 0, 1], ["(i)", "(ii)", "(iii)", "(iv)", "a)"]),
        # formats not drawn here: no label rather than a wrong one
        ([("bullet", "•")], [0], [""]),
        ([("hebrew1", "%1.")], [0], [""]),
    ],
)
def test_word_numbers_are_drawn_as_word_draws_them(formats, levels, drawn):
    assert _word_list(formats, [("正文", level, 1) for level in levels]) == drawn


def test_a_restarted_list_and_unnumbered_paragraphs():
    labels = _word_list(
        [("decimal", "%1.")],
        [("甲", 0, 1), ("乙", 0, 1), ("说明", None, 1), ("丙", 0, 1), ("丁", 0, 2), ("戊", 0, 3)],
        overrides={3: {0: 1}},  # numId 3 restarts at 1; numId 2 goes on with the list
    )
    assert labels == ["1.", "2.", "", "3.", "4.", "1."]


def test_the_list_number_style_of_word_s_template_is_drawn():
    import io

    import docx

    from bulletin_miner.ingest.office import docx_to_text

    document = docx.Document()
    for text in ("关于学习的问题", "关于作风的问题"):
        document.add_paragraph(text, style="List Number")
    buffer = io.BytesIO()
    document.save(buffer)
    assert docx_to_text(buffer.getvalue()) == "1.关于学习的问题\n2.关于作风的问题"


@pytest.mark.parametrize(
    "part, written, damaged",
    [
        ("word/numbering.xml", b'<w:start w:val="1"/>', b'<w:start w:val="x"/>'),  # the list's first number unreadable
        ("word/document.xml", b'<w:ilvl w:val="0"/>', b'<w:ilvl w:val="x"/>'),  # the paragraph's level unreadable
    ],
)
def test_damaged_numbering_loses_its_numbers_not_the_document(part, written, damaged):
    import io
    import zipfile

    from conftest import auto_numbered_docx

    from bulletin_miner.ingest.office import docx_to_text

    members = {}
    with zipfile.ZipFile(io.BytesIO(auto_numbered_docx(["一、关于学习的问题", "二、关于作风的问题"]))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert written in members[part]
    members[part] = members[part].replace(written, damaged)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert docx_to_text(buffer.getvalue()) == "关于学习的问题\n关于作风的问题"  # no number rather than a guessed one


def test_what_pypdf_repairs_is_the_documents_warning_not_console_noise(capfd):
    from test_corpus import _pdf

    from bulletin_miner.ingest.source import source_from_bytes

    # a cross-reference table that points past its objects: pypdf rebuilds it, and says so
    damaged = _pdf("Rectification bulletin 2023").replace(b"startxref\n", b"startxref\n1").replace(b"0000000009 00000 n", b"0000000019 00000 n")
    source = source_from_bytes(damaged, "repaired.pdf")
    assert source.normalized.text == "Rectification bulletin 2023"
    assert source.warnings and all(w.startswith("pdf: ") for w in source.warnings)
    out, err = capfd.readouterr()
    assert "startxref" not in out + err


def test_a_bulletin_scraped_with_its_character_references_left_in_reads_as_its_text_does():
    from bulletin_miner.api import extract_text
    from bulletin_miner.pipeline import build_pipeline, run

    text = (RAW / "000_0c943710c0299a2d.txt").read_text(encoding="utf-8")
    # what a scraper that strips tags but not entities writes: &nbsp; indents, &ldquo; quotes, &#12288;
    debris = "\n".join("&nbsp;&nbsp;" + line.replace("“", "&ldquo;").replace("”", "&rdquo;").replace(",", "&#65292;") for line in text.splitlines())
    as_text = run(load_document(RAW / "000_0c943710c0299a2d.txt"), build_pipeline())
    as_debris = extract_text(debris)
    assert "&" not in as_debris.text
    assert {k: as_debris.fields.get(k) for k in as_text.fields} == as_text.fields
    assert [(i["path"], i["title"]) for i in as_debris.issues] == [(i["path"], i["title"]) for i in as_text.issues]
    assert [m["label"] for m in as_debris.measures] == [m["label"] for m in as_text.measures]


@pytest.mark.parametrize(
    "markup",
    [
        lambda lines: "".join(f'<p style="text-indent:2em"><span style="font-size:16px">{line}</span></p>' for line in lines),  # a CMS's paragraphs
        lambda lines: "<br/>".join(lines),  # lines broken by <br/>
    ],
    ids=["styled-paragraphs", "br"],
)
def test_a_scrapers_saved_inner_html_is_read_as_a_page_whatever_its_file_is_called(markup):
    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    sample = RAW / "000_0c943710c0299a2d.txt"
    lines = [line for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    as_text = run(load_document(sample), build_pipeline())
    as_markup = run(source_from_bytes(markup(lines).encode(), "saved.txt"), build_pipeline())
    assert "<" not in as_markup.text
    assert [(i["path"], i["title"]) for i in as_markup.issues] == [(i["path"], i["title"]) for i in as_text.issues]
    assert as_markup.fields.get("issues_total") == as_text.fields.get("issues_total") == 16


@pytest.mark.parametrize("page_title", ["{title}_三门县人民政府", "{title} - 县纪委 | 首页", "首页｜{title}", "{title}"])
def test_a_page_titled_only_in_its_head_gives_the_bulletins_title_not_the_sites(page_title):
    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    sample = RAW / "000_0c943710c0299a2d.txt"
    title, *body = [line for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    page = (
        f"<html><head><title>{page_title.format(title=title)}</title></head><body><div>首页 > 巡察工作</div>"
        f"<div class='article'>{''.join(f'<p>{line}</p>' for line in body)}</div></body></html>"
    )
    record = run(source_from_bytes(page.encode(), "page.html"), build_pipeline())
    assert record.fields["title"] == title


def _standard_page(head: str, shown: str = "") -> bytes:
    title, *body = [line for line in (RAW / "000_0c943710c0299a2d.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    return (
        f"<html><head><title>{title}_三门县人民政府</title>{head}</head><body><h1>三门县人民政府门户网站</h1>{shown}"
        f"<div class='article'>{''.join(f'<p>{line}</p>' for line in body)}</div></body></html>"
    ).encode()


def test_the_head_meta_tags_of_the_government_website_standard_are_read():
    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    head = (
        '<meta name="ArticleTitle" content="中共三门县民政局党组关于养老领域专项巡察整改进展情况的通报">'
        '<meta name="PubDate" content="2024-10-12 09:30"><meta name="ContentSource" content="三门县民政局">'
    )
    record = run(source_from_bytes(_standard_page(head), "page.html"), build_pipeline())
    assert record.fields["title"] == "中共三门县民政局党组关于养老领域专项巡察整改进展情况的通报"  # not the banner in <h1>
    assert str(record.fields["published_date"]) == "2024-10-12" and record.fields["source_site"] == "三门县民政局"


def test_what_the_page_shows_is_not_overruled_by_its_meta_tags():
    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    shown = "<div class='info'>发布日期：2024-10-15 来源：县纪委</div>"
    record = run(source_from_bytes(_standard_page('<meta name="PubDate" content="2024-10-12">', shown), "page.html"), build_pipeline())
    assert str(record.fields["published_date"]) == "2024-10-15" and not any("disagree" in w for w in record.warnings)


def test_a_minified_page_keeps_its_metadata_line():
    # no newline anywhere in the source: the 来源/发布时间 line is still a line of its own
    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    shown = "<div class='info'>发布时间：2024-10-15 <!-- 统计 -->来源：县纪委</div>"
    record = run(source_from_bytes(_standard_page("", shown), "page.html"), build_pipeline())
    assert str(record.fields["published_date"]) == "2024-10-15" and record.fields["source_site"] == "县纪委"


def test_a_word_bulletin_reads_its_smart_tagged_dates_and_tracked_insertions():
    # Chinese Word wraps dates in smart tags (chsdate); an edit left tracked puts its words in w:ins
    import io
    import re

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    sample = RAW / "000_0c943710c0299a2d.txt"
    document = docx.Document()
    for line in (line for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()):
        paragraph = document.add_paragraph()
        for piece in re.split(r"([0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日|[0-9.]+万元)", line):
            if re.fullmatch(r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日", piece):
                wrapper = '<w:smartTag %s w:uri="urn:schemas-microsoft-com:office:smarttags" w:element="chsdate">%%s</w:smartTag>'
            elif piece.endswith("万元"):
                wrapper = '<w:ins %s w:id="1" w:author="editor">%%s</w:ins>'
            else:
                paragraph.add_run(piece)
                continue
            paragraph._p.append(parse_xml(wrapper % nsdecls("w") % f"<w:r><w:t>{piece}</w:t></w:r>"))
    buffer = io.BytesIO()
    document.save(buffer)
    as_text = run(load_document(sample), build_pipeline())
    as_docx = run(source_from_bytes(buffer.getvalue(), "bulletin.docx"), build_pipeline())
    for name in ("inspection_start", "inspection_end", "feedback_date", "funds_recovered_cny", "issues_total"):
        assert as_docx.fields.get(name) == as_text.fields.get(name) is not None, name


@pytest.mark.parametrize(
    "vanish, shown",
    [("<w:vanish/>", False), ('<w:vanish w:val="true"/>', False), ('<w:vanish w:val="0"/>', True), ('<w:vanish w:val="false"/>', True), ("", True)],
)
def test_hidden_text_in_a_word_paragraph_is_not_read(vanish, shown):
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from bulletin_miner.ingest.office import paragraph_text

    paragraph = parse_xml(f"<w:p {nsdecls('w')}><w:r><w:t>追回资金3万元</w:t></w:r><w:r><w:rPr>{vanish}</w:rPr><w:t>(初稿5万元)</w:t></w:r></w:p>")
    assert paragraph_text(paragraph) == "追回资金3万元" + ("(初稿5万元)" if shown else "")


def test_a_word_documents_tables_and_content_controls_are_read_where_they_stand():
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from bulletin_miner.ingest.office import docx_to_text

    document = docx.Document()
    document.add_paragraph("一、关于学习的问题")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "序号", (0, 1): "问题", (1, 0): "1", (1, 1): "学习不深入"}.items():
        table.cell(row, col).text = text
    document.add_paragraph("二、关于作风的问题")
    control = parse_xml(f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>三、关于纪律的问题</w:t></w:r></w:p></w:sdtContent></w:sdt>")
    document.element.body.insert(len(document.element.body) - 1, control)  # before the section properties
    buffer = io.BytesIO()
    document.save(buffer)
    assert docx_to_text(buffer.getvalue()).splitlines() == [
        "一、关于学习的问题",
        "| 序号 | 问题 |",
        "| 1 | 学习不深入 |",
        "二、关于作风的问题",
        "三、关于纪律的问题",
    ]


def test_a_word_text_box_is_read_once_where_it_stands():
    # a letterhead in a text box: Word writes it twice, for new Word and as a fallback for old
    import io

    import docx
    from docx.oxml import parse_xml

    from bulletin_miner.ingest.office import docx_to_text

    namespaces = " ".join(
        f'xmlns:{k}="{v}"'
        for k, v in {
            "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
            "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
            "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
            "v": "urn:schemas-microsoft-com:vml",
        }.items()
    )
    box = "<w:txbxContent><w:p><w:r><w:t>中共某县纪律检查委员会</w:t></w:r></w:p></w:txbxContent>"
    document = docx.Document()
    document.add_paragraph("")._p.append(
        parse_xml(
            f'<w:r {namespaces}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx>{box}</wps:txbx></w:drawing></mc:Choice>'
            f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
        )
    )
    document.add_paragraph("关于巡察整改进展情况的通报")
    buffer = io.BytesIO()
    document.save(buffer)
    assert docx_to_text(buffer.getvalue()).splitlines() == ["中共某县纪律检查委员会", "关于巡察整改进展情况的通报"]


# --- .doc: Word 97-2003 -------------------------------------------------------


@pytest.mark.parametrize("saved", ["word97/bulletin_000.doc", "rtf/bulletin_000.rtf"])
def test_a_bulletin_saved_by_word_reads_as_its_text_does(saved):
    from bulletin_miner.pipeline import build_pipeline, run

    as_text = run(load_document(RAW / "000_0c943710c0299a2d.txt"), build_pipeline())
    as_doc = run(load_document(WORD97.parent / saved), build_pipeline())
    assert as_doc.fields == as_text.fields
    assert [(i["path"], i["title"], i["status"]) for i in as_doc.issues] == [(i["path"], i["title"], i["status"]) for i in as_text.issues]
    assert [(m["label"], m["text"]) for m in as_doc.measures] == [(m["label"], m["text"]) for m in as_text.measures]


def test_a_word_97_bulletin_with_a_tracked_change_reads_as_it_would_once_accepted():
    # the struck-out 5.1 stays in the text stream: read as text, the amount came out 5.13.0034万元;
    # and a hidden note after the figure is no more read than Word shows it
    from bulletin_miner.pipeline import build_pipeline, run

    as_text = run(load_document(RAW / "000_0c943710c0299a2d.txt"), build_pipeline())
    as_doc = run(load_document(WORD97 / "tracked_000.doc"), build_pipeline())
    assert as_doc.fields == as_text.fields
    assert as_doc.fields["funds_recovered_cny"] == as_text.fields["funds_recovered_cny"] is not None


def test_a_word_97_document_is_its_main_text_with_field_results_and_table_rows():
    from bulletin_miner.ingest.worddoc import doc_to_text

    lines = doc_to_text((WORD97 / "bulletin_000.doc").read_bytes()).splitlines()
    assert lines[0] == "中共三门县民政局党组关于养老领域专项巡察整改进展情况的通报"
    # a row a line, its cells between bars (its empty cell kept); a hyperlink as the words it shows, not its field code
    assert lines[-3:] == ["| 序号 | 问题 | 状态 |", "| 1 |  | 已完成 |", "详见三门县人民政府网站。"]
    text = "\n".join(lines)
    assert "HYPERLINK" not in text and "页眉" not in text  # nor the running header or the footer's page number


def test_a_word_97_piece_table_mixes_8_bit_and_utf16_pieces():
    from bulletin_miner.ingest.worddoc import main_text

    # pieces: 4 compressed (cp1252, at byte 0), then 2 UTF-16 (at byte 4); the main text ends at 5
    stream = b"\x93ab\x94" + "巡察".encode("utf-16-le")
    assert main_text(stream, [(0, 4, 0, True), (4, 6, 4, False)], 5) == [("“ab”", 0, 1), ("巡", 4, 2)]


@given(
    st.lists(st.tuples(st.text(alphabet="甲乙丙丁\r\x07ab", min_size=1, max_size=8), st.sampled_from([1, 2])), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 120), st.integers(1, 12)), max_size=6),
)
def test_leaving_byte_ranges_out_of_runs_keeps_exactly_the_characters_outside_them(pieces, cuts):
    from bulletin_miner.ingest.worddoc import without

    runs, offset = [], 0
    for text, width in pieces:  # runs one after another in the stream, as pieces lie
        runs.append((text, offset, width))
        offset += len(text) * width + 3
    ranges = []
    for start, length in sorted(cuts):  # sorted and disjoint, as the CHPX runs are once merged
        if not ranges or start > ranges[-1][1]:
            ranges.append((start, start + length))

    def characters(runs):
        return [(ch, at + k * width) for text, at, width in runs for k, ch in enumerate(text)]

    assert characters(without(runs, ranges)) == [(ch, fc) for ch, fc in characters(runs) if not any(a <= fc < b for a, b in ranges)]


def test_a_word_97_document_is_read_in_a_few_times_its_texts_memory():
    # read a character a tuple, a million characters took 175 MB, and a 20 MB .doc
    # (the input limit: ten million) 1.7 GB
    import tracemalloc

    from bulletin_miner.ingest.worddoc import as_lines, main_text, without

    n = 1_000_000
    text = ("巡察整改情况的通报,追回资金3万元。\r" * (n // 18 + 1))[:n]
    stream = text.encode("utf-16-le")
    tracemalloc.start()
    try:
        runs = without(main_text(stream, [(0, n, 0, False)], n), [(200, 400), (10_000, 10_002)])
        lines = as_lines(runs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(lines) == n - 101 and lines.count("\n") == text.count("\r") - 5
    assert peak < 8 * len(stream)  # the text a few times over, not a tuple a character


def test_a_word_97_bulletin_numbered_by_word_lists_reads_as_its_text_does():
    # its 一、 （一） 1. are not in the text stream: drawn back from the document's lists
    from bulletin_miner.pipeline import build_pipeline, run

    as_text = run(load_document(RAW / "000_0c943710c0299a2d.txt"), build_pipeline())
    as_doc = run(load_document(WORD97 / "numbered_000.doc"), build_pipeline())
    assert as_doc.fields == as_text.fields
    assert [(i["path"], i["title"]) for i in as_doc.issues] == [(i["path"], i["title"]) for i in as_text.issues]
    assert len(as_doc.issues) == 16


def _word97_lists(levels: list[tuple[int, str]], restarts: list[dict[int, int]]) -> tuple[bytes, tuple[int, int], tuple[int, int]]:
    """A table stream holding one list (levels: (nfc, text with {0} {1} for the level placeholders))
    and one use of it per entry of `restarts` (level -> start), as Word writes them: PlfLst, its
    LVLs, then PlfLfo with its LFOData."""
    import struct

    lvls = b""
    for nfc, text in levels + [(0, "{0}")] * (9 - len(levels)):
        first, *parts = text.split("{")
        drawn, places = first, []  # the text with a character 0-8 for each placeholder, and where each stands (from 1)
        for part in parts:
            level, rest = part.split("}", 1)
            places.append(len(drawn) + 1)
            drawn += chr(int(level)) + rest
        lvlf = struct.pack("<iBB", 1, nfc, 0) + bytes(places + [0] * (9 - len(places))) + bytes(28 - 15)
        lvls += lvlf + struct.pack("<H", len(drawn)) + drawn.encode("utf-16-le")
    lstf = struct.pack("<ii", 7, 0) + bytes(18) + bytes([0, 0])
    plf_lst = struct.pack("<h", 1) + lstf
    lfos = b"".join(struct.pack("<iiiBBBB", 7, 0, 0, len(r), 0, 0, 0) for r in restarts)
    data = b"".join(bytes(4) + b"".join(struct.pack("<iI", start, level | 0x10) for level, start in r.items()) for r in restarts)
    plf_lfo = struct.pack("<i", len(restarts)) + lfos + data
    table = plf_lst + lvls + plf_lfo
    return table, (0, len(plf_lst)), (len(plf_lst) + len(lvls), len(plf_lfo))


def test_word_97_lists_share_counters_and_restart_where_a_use_says():
    from bulletin_miner.ingest.worddoc import document_lists

    table, lists, uses = _word97_lists([(0x25, "{0}、"), (0x25, "（{1}）"), (0x00, "{2}.")], [{}, {2: 6}])
    numbering = document_lists(table, lists, uses)
    drawn = [numbering.draw(use, level) for use, level in [("1", 0), ("1", 1), ("1", 2), ("1", 2), ("1", 1), ("2", 2), ("2", 2), ("1", 0)]]
    # the second use of the list restarts its third level at 6, the others go on
    assert drawn == ["一、", "（一）", "1.", "2.", "（二）", "6.", "7.", "二、"]


@pytest.mark.parametrize(
    "stream, text",
    [
        ("\x13 PAGE \x145\x15\r", "5\n"),
        ("\x13 REF a \x13 PAGE \x142\x15\x14见第2页\x15\r", "见第2页\n"),  # a field inside another's instructions
        ("\x13 TOC \x14一、总体情况\r\x13 PAGEREF x \x143\x15\r\x15", "一、总体情况\n3\n"),  # results holding fields
        ("\x13 EQ \x15甲\r", "甲\n"),  # a field with no result
        ("加强\x0b学习\x1e制度\x1f化\x01\x08\r", "加强\n学习-制度化\n"),  # line break, hyphens, picture and object marks
        ("\x15\x14多余的标记\r", "多余的标记\n"),  # marks with no field open are ignored
    ],
)
def test_word_97_field_codes_and_special_characters(stream, text):
    from bulletin_miner.ingest.worddoc import as_lines

    assert as_lines([(stream, 0, 1)]) == text
    # the same cut into runs anywhere: marks, fields and paragraphs go on across runs
    assert as_lines([(stream[i : i + 1], i, 1) for i in range(len(stream))]) == text


def test_a_word_97_list_level_naming_a_place_twice_is_drawn_once():
    # found by fuzzing: rgbxchNums holding position 1 twice
    import struct

    from bulletin_miner.ingest.worddoc import _level

    lvlf = struct.pack("<iBB", 1, 0x00, 0) + bytes([1, 1] + [0] * 7) + bytes(13)
    level, end = _level(lvlf + struct.pack("<H", 2) + "\x00.".encode("utf-16-le"), 0)
    assert (level.text, level.fmt, end) == ("%1.", "decimal", 34)


@pytest.mark.parametrize(
    "streams, said",
    [
        ({"EncryptionInfo", "EncryptedPackage"}, "encrypted"),  # a .docx saved with a password
        ({"Workbook"}, "Excel 97-2003"),
        ({"PowerPoint Document", "Current User"}, "PowerPoint 97-2003"),
        ({"CONTENTS", "SPELLING"}, "holds no Word document (a Microsoft Works"),  # Works' .wps, not Kingsoft's
    ],
)
def test_a_compound_file_that_holds_no_word_document_is_named(streams, said):
    from bulletin_miner.ingest.worddoc import _ole_kind

    class Compound:  # what olefile answers about such a file
        def exists(self, name: str) -> bool:
            return name in streams

    assert said in _ole_kind(Compound())


@given(st.data(), st.sampled_from(["bulletin_000.doc", "numbered_000.doc", "tracked_000.doc"]))
def test_a_damaged_word_97_file_is_a_coded_error_never_a_crash(data, fixture):
    from bulletin_miner.ingest.source import source_from_bytes

    original = (WORD97 / fixture).read_bytes()
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        # anywhere, or in the first 4 KB: the compound file's header and directory, the FIB
        damaged[data.draw(st.one_of(st.integers(0, 4095), st.integers(0, len(damaged) - 1)))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(512, len(damaged)))
    try:
        source_from_bytes(bytes(damaged[:cut]), "damaged.doc")
    except BulletinError as err:
        assert err.kind in {ErrorKind.CORRUPT, ErrorKind.UNSUPPORTED, ErrorKind.NO_TEXT, ErrorKind.BINARY}


# --- PDF text layers that are not text ------------------------------------------


def _without_unicode_map(pdf: bytes) -> bytes:
    """The same PDF with its font's ToUnicode map taken away: pypdf then reads glyph numbers."""
    return pdf.replace(b" /ToUnicode 5 0 R", b"")


def test_a_pdf_whose_font_maps_no_glyph_to_unicode_is_said_to_have_no_text_not_read_as_glyph_numbers():
    from conftest import cjk_pdf

    from bulletin_miner.ingest.source import source_from_bytes

    lines = [line for line in (RAW / "000_0c943710c0299a2d.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    with pytest.raises(BulletinError) as raised:
        source_from_bytes(_without_unicode_map(cjk_pdf(lines)), "scanned-fonts.pdf")
    assert raised.value.kind is ErrorKind.NO_TEXT and "Unicode" in raised.value.message


def test_a_pdf_page_that_is_not_text_is_left_out_and_said_the_rest_is_read():
    from conftest import cjk_pdf
    from pypdf import PdfReader, PdfWriter

    from bulletin_miner.ingest.office import pdf_to_text

    lines = [line for line in (RAW / "000_0c943710c0299a2d.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    import io

    writer = PdfWriter()
    for pdf in (cjk_pdf(lines[:20]), _without_unicode_map(cjk_pdf(["附件:整改台账"] * 20))):
        writer.append(PdfReader(io.BytesIO(pdf)))
    merged = io.BytesIO()
    writer.write(merged)
    text, warnings = pdf_to_text(merged.getvalue())
    assert text.startswith(lines[0]) and "台账" not in text
    assert any("page(s) 2 is not text" in w for w in warnings)


@pytest.mark.parametrize(
    "foot, dropped",
    [
        ("— 3 —", True),
        ("- 3 -", True),
        ("－ 3 －", True),
        ("3", True),
        ("3/10", True),
        ("第3页", True),
        ("第 3 页 共 5 页", True),
        ("第3页，共5页", True),
        ("共5页 第3页", True),
        ("Page 3 of 5", True),
        ("page 3", True),
        ("·3·", True),
        ("2024年", False),
        ("共3个问题", False),
        ("3. 完善制度", False),  # text, not a page's number
    ],
)
def test_a_pdf_pages_number_at_its_foot_is_not_text(foot, dropped):
    from bulletin_miner.ingest.pagetext import _without_page_number

    assert (_without_page_number(f"一是加强学习。\n{foot}") == "一是加强学习。") is dropped


@pytest.mark.parametrize("style", ["per_character", "per_line", "transformed", "fake_bold"])
@pytest.mark.parametrize("sample", ["000_0c943710c0299a2d.txt", "004_707284983d94a040.txt"])
def test_a_bulletin_drawn_as_an_ofd_reads_as_its_text_does(sample, style):
    # OFD (GB/T 33190), as converters from Word write it: a text object a
    # character or a line, in no reading order, a letterhead in the template
    from conftest import ofd, typeset

    from bulletin_miner.ingest.source import source_from_bytes
    from bulletin_miner.pipeline import build_pipeline, run

    text = (RAW / sample).read_text(encoding="utf-8")
    lines = [line for paragraph in text.splitlines() if paragraph.strip() for line in typeset(paragraph, 28)]
    pages = [[*lines[i : i + 22], f"— {n} —"] for n, i in enumerate(range(0, len(lines), 22), start=1)]
    as_text = run(load_document(RAW / sample), build_pipeline())
    as_ofd = run(source_from_bytes(ofd(pages, style, shuffle=True), f"{sample}.ofd"), build_pipeline())
    assert as_ofd.fields == as_text.fields
    assert [(i["path"], i["title"], i["n_measures"]) for i in as_ofd.issues] == [(i["path"], i["title"], i["n_measures"]) for i in as_text.issues]
    assert [m["label"] for m in as_ofd.measures] == [m["label"] for m in as_text.measures]
    assert "— " not in as_ofd.text and "纪律检查委员会" not in as_ofd.text  # page numbers and the template's letterhead are not text


def _ofd_package(parts: dict[str, str]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, content in parts.items():
            package.writestr(name, content)
    return buffer.getvalue()


_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
_ROOT = f"<ofd:OFD {_NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
_ONE_PAGE = f'<ofd:Document {_NS}><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>'


@pytest.mark.parametrize(
    "parts, kind, said",
    [
        ({"OFD.xml": "<ofd:OFD/>", "Doc_0/Document.xml": "<ofd:Document/>"}, "E012_corrupt_file", "OFD"),  # a prefix with no namespace: not XML
        ({"OFD.xml": f"<ofd:OFD {_NS}><ofd:DocBody/></ofd:OFD>"}, "E012_corrupt_file", "DocRoot"),
        ({"OFD.xml": _ROOT}, "E012_corrupt_file", "not in the package"),
        (
            {
                "OFD.xml": _ROOT,
                "Doc_0/Document.xml": _ONE_PAGE,
                "Doc_0/Pages/Page_0/Content.xml": f'<ofd:Page {_NS}><ofd:Content><ofd:Layer><ofd:ImageObject ID="2" ResourceID="3" Boundary="0 0 210 297"/></ofd:Layer></ofd:Content></ofd:Page>',
            },
            "E007_no_text",
            "OCR",
        ),
        (
            {
                "OFD.xml": _ROOT,
                "Doc_0/Document.xml": _ONE_PAGE,
                "Doc_0/Pages/Page_0/Content.xml": f'<ofd:Page {_NS}><ofd:Content><ofd:Layer><ofd:TextObject ID="2" Boundary="a b" Size="5"><ofd:TextCode X="0" Y="5">通报</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>',
            },
            "E012_corrupt_file",
            "ValueError",
        ),
    ],
)
def test_an_ofd_that_cannot_be_read_says_why(parts, kind, said):
    from bulletin_miner.errors import BulletinError
    from bulletin_miner.ingest.source import source_from_bytes

    with pytest.raises(BulletinError) as raised:
        source_from_bytes(_ofd_package(parts), "notice.ofd")
    assert raised.value.kind.value == kind and said in raised.value.message


def test_an_ofd_never_reads_what_its_xml_entities_point_to(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("追回资金999万元", encoding="utf-8")
    page = (
        f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY leak SYSTEM "file://{secret}">]><ofd:Page {_NS}><ofd:Content><ofd:Layer>'
        '<ofd:TextObject ID="2" Boundary="20 30 100 8" Size="5"><ofd:TextCode X="0" Y="5" DeltaX="g 7 5">关于巡察整改的通报&leak;</ofd:TextCode></ofd:TextObject>'
        "</ofd:Layer></ofd:Content></ofd:Page>"
    )
    from bulletin_miner.ingest.source import source_from_bytes

    source = source_from_bytes(
        _ofd_package({"OFD.xml": _ROOT, "Doc_0/Document.xml": _ONE_PAGE, "Doc_0/Pages/Page_0/Content.xml": page}), "notice.ofd"
    )
    assert source.normalized.text == "关于巡察整改的通报" and source.encoding == "ofd"


def test_an_ofd_whose_page_will_not_inflate_is_a_damaged_file():
    # found by fuzzing: zlib's error escaped the reader
    import io
    import zipfile

    from conftest import ofd

    from bulletin_miner.errors import BulletinError
    from bulletin_miner.ingest.source import source_from_bytes

    package = bytearray(ofd([["关于巡察整改进展情况的通报", "一是加强学习。"] * 5]))
    page = zipfile.ZipFile(io.BytesIO(bytes(package))).getinfo("Doc_0/Pages/Page_0/Content.xml")
    data_start = page.header_offset + 30 + len(page.filename)
    package[data_start : data_start + 8] = b"\xff" * 8  # its deflate stream, not the archive's directory
    with pytest.raises(BulletinError) as raised:
        source_from_bytes(bytes(package), "notice.ofd")
    assert raised.value.kind.value == "E012_corrupt_file" and "OFD" in raised.value.message


# --- RTF ----------------------------------------------------------------------

RTF = WORD97.parent / "rtf"  # LibreOffice's RTF of the Word fixtures (word97/make.py)


def test_an_rtf_is_its_main_text_with_field_results_and_table_rows():
    # (that it reads field for field as its text does: test_a_bulletin_saved_by_word_reads_as_its_text_does)
    text = normalised_text((RTF / "bulletin_000.rtf").read_bytes())
    # its table a row a line; not its running header, nor the hyperlink's field code
    assert text.splitlines()[-3:] == ["| 序号 | 问题 | 状态 |", "| 1 | | 已完成 |", "详见三门县人民政府网站。"]
    assert "页眉" not in text and "HYPERLINK" not in text


def test_an_rtf_with_a_tracked_deletion_or_hidden_text_is_not_read():
    # striprtf reads both as text: sample 000's amount would be 5.13.0034(初稿5.1)万元
    from bulletin_miner.errors import BulletinError

    with pytest.raises(BulletinError) as raised:
        load_document(RTF / "tracked_000.rtf")
    assert raised.value.kind.value == "E008_unsupported_format" and "tracked deletions or hidden text" in raised.value.message
    visible = rb"{\rtf1\ansi\ansicpg936{\fonttbl{\f0\fcharset134 SimSun;}}\f0 \'d1\'b2\'b2\'ec{\v0 \'d5\'fb\'b8\'c4}\par}"
    assert normalised_text(visible) == "巡察整改"  # \v0 ends hidden text: not a reason to refuse


def normalised_text(data: bytes) -> str:
    """The analysed text of a file's bytes (read as a file called notice.rtf would be)."""
    from bulletin_miner.ingest.source import source_from_bytes

    return source_from_bytes(data, "notice.rtf").normalized.text


@pytest.mark.parametrize(
    "rtf",
    [
        rb"{\rtf1\ansi\u99999999999999999999? x}",  # found by fuzzing: striprtf's OverflowError escaped
        rb"{\rtf1\ansi\ansicpg936\f0 \'d1\'b2\'b2}",  # a character cut in two
    ],
)
def test_a_damaged_rtf_is_a_coded_error(rtf):
    from bulletin_miner.errors import BulletinError

    with pytest.raises(BulletinError) as raised:
        normalised_text(rtf)
    assert raised.value.kind.value in ("E012_corrupt_file", "E005_undecodable")


def test_an_ofd_page_listed_but_missing_is_left_out_with_a_warning():
    from bulletin_miner.ingest.source import source_from_bytes

    page = (
        f'<ofd:Page {_NS}><ofd:Content><ofd:Layer><ofd:TextObject ID="2" Boundary="20 30 100 8" Size="5">'
        '<ofd:TextCode X="0" Y="5" DeltaX="g 8 5">关于巡察整改情况的通报</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>'
    )
    two_pages = _ONE_PAGE.replace("</ofd:Pages>", '<ofd:Page ID="2" BaseLoc="Pages/Page_1/Content.xml"/></ofd:Pages>')
    source = source_from_bytes(
        _ofd_package({"OFD.xml": _ROOT, "Doc_0/Document.xml": two_pages, "Doc_0/Pages/Page_0/Content.xml": page}), "notice.ofd"
    )
    assert source.normalized.text == "关于巡察整改情况的通报"
    assert source.warnings == ("ofd: page(s) 2 listed but not in the package; left out",)


@given(st.sampled_from([0, 1, 4095, 20_000]) | st.integers(min_value=0, max_value=3 << 20), st.binary(min_size=1, max_size=64))
def test_the_driver_names_a_file_as_its_reader_does_whatever_its_size(tmp_path_factory, size, pattern):
    """content_hash reads a file in chunks of HASH_CHUNK_BYTES from its descriptor;
    the doc_id is ingest's content_id of the whole content all the same."""
    from bulletin_miner.batch.inputs import HASH_CHUNK_BYTES, content_hash
    from bulletin_miner.ingest.source import content_id

    assert HASH_CHUNK_BYTES < 3 << 20  # the sizes drawn cross a chunk's end
    data = (pattern * (size // len(pattern) + 1))[:size]
    path = tmp_path_factory.mktemp("hash") / "input.txt"
    path.write_bytes(data)
    assert content_hash(path) == content_id(data)
