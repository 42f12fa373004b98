from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
GOLD = ROOT / "tests" / "gold"
RAW = ROOT / "data" / "raw"
# A module a Dask worker imports (test_dask.py), not one to collect: importing
# distributed changes how every exception of the session pickles (tblib).
collect_ignore = ["dask_trap.py"]
WORD97 = ROOT / "tests" / "fixtures" / "word97"  # Word 97-2003 files LibreOffice wrote (make.py there)


def cases(name: str) -> list:
    """Rows of a phrase corpus in tests/cases, as pytest params named by their text."""
    rows = yaml.safe_load((CASES / f"{name}.yml").read_text(encoding="utf-8"))
    return [pytest.param(row, id=row["text"][:24]) for row in rows]


@pytest.fixture(scope="session")
def sample_records():
    from bulletin_miner.api import extract_records

    records, errors = extract_records([RAW])
    assert not errors, errors
    return {Path(r.source_path).name: r for r in records}


# --- PDFs with a Chinese text layer, typeset as a word processor would --------

# Characters a line may not start with, and may not end with (避头尾).
_NO_LINE_START = set("，。、；：！？）”」』,.;:!?)")
_NO_LINE_END = set("“（《「『(")


def typeset(paragraph: str, width: int) -> list[str]:
    """A paragraph broken into lines of `width` ems: a Han character is one em,
    a digit or Latin letter half; closing punctuation stays on its line, and an
    opening bracket moves down with what it opens."""
    lines, line, used = [], "", 0.0
    for ch in paragraph:
        ems = 0.5 if ch.isascii() else 1.0
        if used + ems > width and line:
            if ch in _NO_LINE_START:
                lines.append(line + ch)
                line, used = "", 0.0
                continue
            if line[-1] in _NO_LINE_END:
                lines.append(line[:-1])
                line, used = line[-1], 1.0
            else:
                lines.append(line)
                line, used = "", 0.0
        line += ch
        used += ems
    return [*lines, line] if line else lines


def cjk_pdf(lines: list[str], lines_per_page: int = 40) -> bytes:
    """A PDF whose text layer holds these lines, one text line each: a CID font
    with a ToUnicode map (no glyphs are needed to read the text back)."""
    chars = sorted({ch for line in lines for ch in line})
    code = {ch: i + 1 for i, ch in enumerate(chars)}
    to_unicode = "\n".join(f"<{code[ch]:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for ch in chars)
    cmap = (
        f"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /U def 1 begincodespacerange <0000> <FFFF> "
        f"endcodespacerange {len(chars)} beginbfchar\n{to_unicode}\nendbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type0 /BaseFont /F /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        4: b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /F /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        5: b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
    }
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    for n, page in enumerate(pages):
        shown = " ".join(f"<{''.join(f'{code[ch]:04X}' for ch in line)}> Tj T*" for line in page)
        content = f"BT /F1 12 Tf 14 TL 72 760 Td {shown} ET".encode()
        objects[6 + 2 * n] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /Font << /F1 3 0 R >> >> >>" % (
            7 + 2 * n
        )
        objects[7 + 2 * n] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (6 + 2 * n) for n in range(len(pages))), len(pages))
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size + b"".join(b"%010d 00000 n \n" % offsets[k] for k in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


# --- Word documents numbered by Word's automatic lists ------------------------

# The sample's typed markers, by list level, as Word's level texts draw them.
_WORD_LEVELS = [
    (r"^([一二三四五六七八九十]+)、", "chineseCounting", "%1、"),
    (r"^[(（]([一二三四五六七八九十]+)[)）]", "chineseCounting", "（%2）"),
    (r"^([0-9]+)[.．](?![0-9])", "decimal", "%3."),
    (r"^[(（]([0-9]+)[)）]", "decimal", "（%4）"),
]


def numbered_docx(
    formats: list[tuple[str, str]],
    paragraphs: list[tuple[str, int | None, int]],
    overrides: dict[int, dict[int, int]] | None = None,
    by_style: bool = False,
) -> bytes:
    """A .docx numbered by one Word list: `formats` (numFmt, lvlText) by level;
    `paragraphs` (text, level or None, numId), each numId a use of the list
    with its `overrides` (level -> startOverride). `by_style`: the list is set
    on the heading styles (Heading 1, 2 …, a multilevel list linked to them)
    and the paragraphs of the first numId take only their style."""
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{f}"/><w:lvlText w:val="{t}"/></w:lvl>' for i, (f, t) in enumerate(formats)
    )
    root = document.part.numbering_part.element
    root.insert(0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{levels}</w:abstractNum>'))
    num_ids = list(dict.fromkeys(n for _, level, n in paragraphs if level is not None))
    for num_id in num_ids:
        starts = "".join(
            f'<w:lvlOverride w:ilvl="{lvl}"><w:startOverride w:val="{v}"/></w:lvlOverride>' for lvl, v in (overrides or {}).get(num_id, {}).items()
        )
        root.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="90"/>{starts}</w:num>'))

    def number(level: int, num_id: int):
        return parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>')

    if by_style and num_ids:
        for level in range(len(formats)):
            document.styles[f"Heading {level + 1}"].element.get_or_add_pPr().append(number(level, num_ids[0]))
    for text, level, num_id in paragraphs:
        paragraph = document.add_paragraph(text, style=f"Heading {level + 1}" if by_style and level is not None else None)
        if level is not None and not (by_style and num_id == num_ids[0]):
            paragraph._p.get_or_add_pPr().append(number(level, num_id))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def auto_numbered_docx(lines: list[str], by_style: bool = False) -> bytes:
    """A .docx of these lines in which each typed heading number (一、 (一) 1. (1))
    is taken out of the text and drawn by a Word list instead, as a writer who
    used automatic numbering would have it (`by_style`: see numbered_docx)."""
    import re

    import cn2an

    paragraphs: list[tuple[str, int | None, int]] = []
    overrides: dict[int, dict[int, int]] = {}
    num_id, counters = 90, [0] * len(_WORD_LEVELS)  # what Word would draw next, level by level
    for line in lines:
        for level, (pattern, _, _) in enumerate(_WORD_LEVELS):
            typed = re.match(pattern, line)
            if typed:
                number = int(typed.group(1)) if typed.group(1).isdigit() else cn2an.cn2an(typed.group(1), "normal")
                if number != counters[level] + 1:  # numbering that goes on across sections, or skips: a restarted list
                    num_id += 1
                    overrides[num_id] = {level: number}
                counters[level:] = [number] + [0] * (len(_WORD_LEVELS) - level - 1)
                paragraphs.append((line[typed.end() :], level, num_id))
                break
        else:
            paragraphs.append((line, None, num_id))
    return numbered_docx([(fmt, text) for _, fmt, text in _WORD_LEVELS], paragraphs, overrides, by_style)


def mhtml(page: str, charset: str = "utf-8", transfer_encoding: str = "quoted-printable", start: bool = False) -> bytes:
    """A page saved as one file, as a browser writes it: a multipart/related
    MIME package of the page (in `charset`, quoted-printable or base64) and
    an image; with `start`, the image comes first and the package's `start`
    names the page by its Content-ID (RFC 2557)."""
    from email.message import EmailMessage

    package = EmailMessage()
    package["From"] = "<Saved by Blink>"
    package["Snapshot-Content-Location"] = "http://www.example.gov.cn/art/2024/10/12/art_1.html"
    package["MIME-Version"] = "1.0"
    package.make_related()
    html = EmailMessage()
    written = "gb18030" if charset == "gb2312" else charset  # pages declare gb2312 and hold GBK's characters too
    html.set_content(page.encode(written), maintype="text", subtype="html", cte=transfer_encoding)
    html.set_param("charset", charset)
    html["Content-ID"] = "<frame-page@mhtml.blink>"
    html["Content-Location"] = "http://www.example.gov.cn/art/2024/10/12/art_1.html"
    image = EmailMessage()
    image.set_content(b"\x89PNG\r\n\x1a\n" + bytes(64), maintype="image", subtype="png")
    image["Content-Location"] = "http://www.example.gov.cn/logo.png"
    for part in [image, html] if start else [html, image]:
        package.attach(part)
    if start:
        package.set_param("start", "<frame-page@mhtml.blink>")
    return package.as_bytes()


_OFD_NS = "http://www.ofdspec.org/2016"


def ofd(pages: list[list[str]], style: str = "per_character", shuffle: bool = False) -> bytes:
    """An OFD package drawing these lines on A4 pages as converters from Word
    write them: `per_character`, one text object a character (Boundary per
    character, text code at X, Y inside it); `per_line`, one a line, its
    characters DeltaX apart (`g N v` where they repeat); `transformed`, one a
    line drawn at the origin and moved and scaled by its CTM; `fake_bold`,
    per character, each drawn twice a little apart. `shuffle`: the objects in
    no reading order. The page's template draws a letterhead, which is not
    the document's text."""
    import io
    import random
    import zipfile
    from xml.sax.saxutils import escape

    size, left, top, pitch = 5.6, 26.0, 37.0, 10.5  # 16 pt (三号), GB/T 9704's margins
    rng = random.Random(0)

    def advance(ch: str) -> float:
        return size * (0.5 if ch.isascii() else 1.0)

    def objects(lines: list[str]) -> list[str]:
        out, oid = [], 100
        for row, line in enumerate(lines):
            baseline = top + row * pitch
            if style in ("per_character", "fake_bold"):
                x = left
                for ch in line:
                    for shift in (0.0, 0.3) if style == "fake_bold" else (0.0,):
                        oid += 1
                        out.append(
                            f'<ofd:TextObject ID="{oid}" Boundary="{x + shift:.3f} {baseline - size:.3f} {size:.3f} {size * 1.2:.3f}" Font="3" Size="{size}">'
                            f'<ofd:TextCode X="0" Y="{size:.3f}">{escape(ch)}</ofd:TextCode></ofd:TextObject>'
                        )
                    x += advance(ch)
            elif line:
                steps = [advance(ch) for ch in line[:-1]]
                runs, i = [], 0
                while i < len(steps):  # the standard's shorthand: g N v for N equal steps
                    j = i
                    while j < len(steps) and steps[j] == steps[i]:
                        j += 1
                    runs.append(f"g {j - i} {steps[i]:.3f}" if j - i > 1 else f"{steps[i]:.3f}")
                    i = j
                oid += 1
                width = sum(steps) + size
                if style == "transformed":  # drawn at twice the scale from the origin, halved by the CTM
                    big = " ".join(f"g {r.split()[1]} {float(r.split()[2]) * 2:.3f}" if r.startswith("g") else f"{float(r) * 2:.3f}" for r in runs)
                    out.append(
                        f'<ofd:TextObject ID="{oid}" Boundary="{left:.3f} {baseline - size:.3f} {width:.3f} {size * 1.2:.3f}" CTM="0.5 0 0 0.5 0 0" Font="3" Size="{size * 2}">'
                        f'<ofd:TextCode X="0" Y="{size * 2:.3f}" DeltaX="{big}">{escape(line)}</ofd:TextCode></ofd:TextObject>'
                    )
                else:
                    out.append(
                        f'<ofd:TextObject ID="{oid}" Boundary="{left:.3f} {baseline - size:.3f} {width:.3f} {size * 1.2:.3f}" Font="3" Size="{size}">'
                        f'<ofd:TextCode X="0" Y="{size:.3f}" DeltaX="{" ".join(runs)}">{escape(line)}</ofd:TextCode></ofd:TextObject>'
                    )
        if shuffle:
            rng.shuffle(out)
        return out

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_OFD_NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
            "<ofd:DocInfo><ofd:DocID>0C1D4F7EB5F8</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_list = "".join(f'<ofd:Page ID="{n + 1}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
        package.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_OFD_NS}"><ofd:CommonData><ofd:MaxUnitID>9999</ofd:MaxUnitID>'
            "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
            f'<ofd:TemplatePage ID="2" BaseLoc="Tpls/Tpl_0/Content.xml"/></ofd:CommonData><ofd:Pages>{page_list}</ofd:Pages></ofd:Document>',
        )
        package.writestr(
            "Doc_0/PublicRes.xml",
            f'<ofd:Res xmlns:ofd="{_OFD_NS}" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="3" FontName="仿宋_GB2312"/></ofd:Fonts></ofd:Res>',
        )
        package.writestr(
            "Doc_0/Tpls/Tpl_0/Content.xml",
            f'<ofd:Page xmlns:ofd="{_OFD_NS}"><ofd:Content><ofd:Layer ID="5">'
            '<ofd:TextObject ID="6" Boundary="60 15 90 10" Font="3" Size="8"><ofd:TextCode X="0" Y="8" DeltaX="g 7 8">中共某县纪律检查委员会</ofd:TextCode></ofd:TextObject>'
            "</ofd:Layer></ofd:Content></ofd:Page>",
        )
        for n, lines in enumerate(pages):
            package.writestr(
                f"Doc_0/Pages/Page_{n}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_OFD_NS}"><ofd:Template TemplateID="2" ZOrder="Background"/>'
                f'<ofd:Content><ofd:Layer ID="{10 + n}">{"".join(objects(lines))}</ofd:Layer></ofd:Content></ofd:Page>',
            )
    return buffer.getvalue()


# A ledger of problems (整改台账): its header, rows (a cell of several paragraphs as a tuple), the lines before it.
LEDGER_HEADER = ("序号", "存在问题", "整改措施", "完成情况")
LEDGER_ROWS = [
    ("1", "学习贯彻党的二十大精神不深入", ("一是制定党组理论学习中心组学习计划。", "二是开展专题学习6次。"), "已完成"),
    ("2", "落实“一岗双责”不到位", ("签订党风廉政建设责任书35份。",), "已完成"),
    ("3", "项目资金管理不规范", ("一是追回违规资金12.5万元。", "二是修订制度3项。"), "持续推进"),
]
LEDGER_OPENING = (
    "中共某县水利局党组关于县委巡察整改进展情况的通报",
    "2023年6月8日,县委第二巡察组向县水利局党组反馈了巡察意见。现将整改进展情况予以公布。",
    "一、整改落实情况",
)


def ledger_docx() -> bytes:
    """A bulletin whose problems are a ledger table, cells of one paragraph or several (tests/test_outline.py)."""
    import io

    import docx

    document = docx.Document()
    for line in LEDGER_OPENING:
        document.add_paragraph(line)
    table = document.add_table(rows=len(LEDGER_ROWS) + 1, cols=len(LEDGER_HEADER))
    for r, cells in enumerate([LEDGER_HEADER, *LEDGER_ROWS]):
        for c, value in enumerate(cells):
            paragraphs = (value,) if isinstance(value, str) else value
            cell = table.cell(r, c)
            cell.text = paragraphs[0]
            for more in paragraphs[1:]:
                cell.add_paragraph(more)
    document.add_paragraph("欢迎广大干部群众监督。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
