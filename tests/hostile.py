"""Hostile inputs, built in the test (no large binary in git): each small on
disk, each asking a reader to build something huge or to wait for ever."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from conftest import numbered_docx, ofd  # (ofd is used by the tests through this module too)

BULLETIN_LINES = ["中共某县财政局党组关于巡察整改进展情况的通报", "2023年3月1日至4月30日,县委第二巡察组对县财政局党组进行了巡察。追回资金5000元。"]


def huge_list_number_docx() -> bytes:
    """A .docx whose list numbering starts at 2,600,000,000 in letters: drawn
    as Word's letters, each label a 100-million-letter string."""
    paragraphs = [(line, 0, 91) for line in BULLETIN_LINES * 20]
    return numbered_docx([("upperLetter", "%1.")], paragraphs, {91: {0: 2_600_000_000}})


def _replace_member(package: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, content if info.filename == name else source.read(info.filename))
    return buffer.getvalue()


_PAGE = "Doc_0/Pages/Page_0/Content.xml"


def ofd_delta_bomb() -> bytes:
    """An OFD whose text code steps its characters `g 1000000000 5` apart."""
    package = ofd([BULLETIN_LINES], style="per_line")
    page = zipfile.ZipFile(io.BytesIO(package)).read(_PAGE).decode()
    start = page.index('DeltaX="') + len('DeltaX="')
    page = page[:start] + "g 1000000000 5" + page[page.index('"', start) :]
    return _replace_member(package, _PAGE, page.encode())


def ofd_crowded_page(characters: int = 18_000_000) -> bytes:
    """An OFD (about 1 MB) one of whose pages draws `characters` characters."""
    package = ofd([BULLETIN_LINES], style="per_line")
    page = zipfile.ZipFile(io.BytesIO(package)).read(_PAGE).decode()
    crowd = f'<ofd:TextObject ID="999" Boundary="20 200 170 10" Font="3" Size="5"><ofd:TextCode X="0" Y="5">{"巡" * characters}</ofd:TextCode></ofd:TextObject>'
    page = page.replace("</ofd:Layer>", crowd + "</ofd:Layer>")
    return _replace_member(package, _PAGE, page.encode())


def lying_zip_member(inflated: int = 300 * 1024 * 1024, declared: int = 2048) -> bytes:
    """A .docx whose document.xml declares `declared` bytes and inflates to
    `inflated` (about 1 MB on disk): the archive's own sizes are lies."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    stream = b"".join(compressor.compress(chunk) for _ in range(inflated // len(chunk))) + compressor.flush()
    members = [("[Content_Types].xml", b"<Types/>", None), ("word/document.xml", stream, declared)]
    out, central = bytearray(), bytearray()
    for name, data, size in members:
        raw = name.encode()
        if size is None:  # stored honestly
            method, crc, compressed, size = 0, zlib.crc32(data), data, len(data)
        else:
            method, crc, compressed = 8, 0, data
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(compressed), size, len(raw), 0) + raw + compressed
        central += (
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(compressed), size, len(raw), 0, 0, 0, 0, 0, offset) + raw
        )
    start = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)


def honest_huge_docx(megabytes: int = 100) -> bytes:
    """A .docx whose document.xml honestly holds `megabytes` MB of paragraphs."""
    paragraph = "<w:p><w:r><w:t>" + "追回违规资金三万元,整改完成。" * 20 + "</w:t></w:r></w:p>"
    body = paragraph.encode() * (megabytes * 1024 * 1024 // len(paragraph.encode()))
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        + body
        + b"</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def merged_cells_page(cells: int = 4000) -> str:
    """A page of `cells` cells, each merged over 100 rows and 100 columns."""
    rows = "".join('<tr><td colspan="100" rowspan="100">问题</td><td>措施</td></tr>' for _ in range(cells))
    return (
        f"<html><body><h1>关于巡察整改进展情况的通报</h1><table><tr><td>序号</td><td>存在问题</td><td>整改措施</td></tr>{rows}</table></body></html>"
    )


def many_tables_page(tables: int = 60_000) -> str:
    """A page of `tables` small tables (about 5 MB)."""
    return "<html><body>" + "<table><tr><td>一</td></tr></table>" * tables + "<p>县委第一巡察组对县民政局党组进行了巡察。</p></body></html>"


XHTML_PAGE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>通报</title></head><body><h1>中共某县水利局党组关于巡察整改进展情况的通报</h1>'
    "<p>2023年3月1日至4月30日,县委第三巡察组对县水利局党组进行了巡察。现将整改进展情况予以公布。</p></body></html>"
)


def markup_named_part() -> bytes:
    """A .docx holding a damaged part named `[/bold]`: its name reaches the error message."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("[/bold]", "巡察整改" * 200)
    data = bytearray(buffer.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("[/bold]")
    start = info.header_offset + 30 + len(info.filename)
    data[start : start + 8] = b"\xff" * 8  # its deflate stream, not the archive's directory
    return bytes(data)
