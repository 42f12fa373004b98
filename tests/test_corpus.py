"""Surviving real corpora: bad input, other formats, incremental and parallel runs."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import RAW, WORD97, mhtml, ofd, typeset

from bulletin_miner.api import extract_paths

GOOD = sorted(RAW.glob("*.txt"))


def _tables(out: Path) -> dict[str, list[dict]]:
    names = ("documents", "facts", "texts", "issues", "measures", "errors")
    return {n: pq.read_table(out / f"{n}.parquet").to_pylist() for n in names}


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf(page_text: str | None) -> bytes:
    """A minimal one-page PDF, with a line of Helvetica text or none."""
    content = f"BT /F1 12 Tf 72 720 Td ({page_text}) Tj ET".encode() if page_text else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (300 * 1024 * 1024))
    return buffer.getvalue()


def _damaged_pdf() -> bytes:
    """A PDF damaged three ways at once (found by fuzzing): a catalog of no known
    type, a content stream cut short, a broken cross-reference entry. pypdf
    then follows an object to itself and raises its LimitReachedError."""
    pdf = _pdf("Rectification report 2024").replace(b"/Catalog", b"/CBtalog")
    return pdf.replace(b"port 2024) Tj ET\nendstream\nend", b"").replace(b"0000000058 00000 n", b"00000@0058 00000 n")


def _docx_of_unknown_zip_version() -> bytes:
    """A .docx whose central directory asks for zip version 9.6, which zipfile refuses."""
    data = bytearray(_docx(["中共某县财政局党组关于巡察整改进展情况的通报"]))
    entry = data.find(b"PK\x01\x02")  # the first central-directory entry; its extract version follows at +6
    data[entry + 6 : entry + 8] = (96).to_bytes(2, "little")
    return bytes(data)


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("corpus")
    for path in GOOD:
        shutil.copy(path, corpus / path.name)
    bulletin = GOOD[0].read_text(encoding="utf-8")
    (corpus / "same-as-000.txt").write_text(bulletin, encoding="utf-8")
    (corpus / "gbk.txt").write_bytes(bulletin.replace("三门县", "宁海县").encode("gbk"))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.bin").write_bytes(os.urandom(4096))
    (corpus / "truncated-utf8.txt").write_bytes(bulletin.replace("三门县", "天台县").encode()[:-1])
    (corpus / "mixed-encodings.txt").write_bytes("巡察整改情况的通报\n".encode() + "追回资金3万元。".encode("gbk") * 50)
    (corpus / "huge.txt").write_bytes(b"a" * (50 * 1024 * 1024))
    (corpus / "scripts.html").write_text(
        "<html><head>"
        + "<script>var a=1;</script>" * 2000
        + "</head><body><h1>关于巡察整改进展情况的通报</h1><p>县委第一巡察组对县民政局党组进行了巡察。现将整改进展情况予以公布。</p></body></html>",
        encoding="utf-8",
    )
    (corpus / "bomb.docx").write_bytes(_zip_bomb())
    (corpus / "real.docx").write_bytes(
        _docx(["中共某县财政局党组关于巡察整改进展情况的通报", "2023年3月1日至4月30日,县委第二巡察组对县财政局党组进行了巡察。追回资金5000元。"])
    )
    (corpus / "scan.pdf").write_bytes(_pdf(None))
    (corpus / "text.pdf").write_bytes(_pdf("Rectification bulletin 2023"))
    (corpus / "pdf-named.txt").write_bytes(_pdf("Sniffed, not trusted"))
    (corpus / "stray-byte.txt").write_bytes(
        bulletin.replace("三门县", "仙居县").encode().replace("巡察意见".encode(), "巡察".encode() + b"\xa9" + "意见".encode(), 1)
    )
    (corpus / "damaged.pdf").write_bytes(_damaged_pdf())
    os.symlink(corpus / "moved-away.txt", corpus / "broken-link.txt")  # a link to a file that is gone
    os.mkfifo(corpus / "pipe.txt")  # reading a named pipe would wait for ever
    # Word 97-2003 is read; another OLE2 file (Excel 97-2003) is named, not read; a compound
    # file's signature before UTF-16 text is a damaged file, not text; RTF is read, unless it holds
    # text a reader would not see (a tracked deletion)
    shutil.copy(WORD97 / "bulletin_000.doc", corpus / "word97.doc")
    shutil.copy(WORD97 / "workbook.xls", corpus / "workbook.xls")
    (corpus / "saved-page.mht").write_bytes(
        mhtml(f"<html><body><h1>关于巡察整改进展情况的通报</h1><p>{bulletin.replace('三门县', '温岭市')}</p></body></html>", "gb2312")
    )
    (corpus / "old-word.doc").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + bulletin[:400].encode("utf-16-le") + bytes(2048))
    with zipfile.ZipFile(corpus / "notice.ofd", "w") as package:  # China's fixed-layout format, damaged: OFD.xml is not XML
        package.writestr("OFD.xml", "<ofd:OFD/>")
        package.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    drawn = [piece for line in bulletin.replace("三门县", "玉环市").splitlines() if line.strip() for piece in typeset(line, 28)]
    (corpus / "drawn.ofd").write_bytes(ofd([drawn[i : i + 22] for i in range(0, len(drawn), 22)]))
    (corpus / "exported.rtf").write_bytes(rb"{\rtf1\ansi\ansicpg936{\fonttbl{\f0\fcharset134 SimSun;}}\f0 \'d1\'b2\'b2\'ec\'d5\'fb\'b8\'c4\par}" * 40)
    shutil.copy(WORD97.parent / "rtf" / "tracked_000.rtf", corpus / "tracked.rtf")
    (corpus / "unknown-zip-version.docx").write_bytes(_docx_of_unknown_zip_version())
    return corpus


def test_bad_corpus_completes_with_each_input_reported(bad_corpus, tmp_path):
    summary = extract_paths([bad_corpus], tmp_path, workers=2)
    tables = _tables(tmp_path)
    errors = {Path(row["source_path"]).name: row["error_kind"] for row in tables["errors"]}
    stages = {Path(row["source_path"]).name: row["stage"] for row in tables["errors"]}
    assert errors.pop("mixed-encodings.txt", None) in {None, "E005_undecodable", "E004_binary"}
    assert errors == {
        "same-as-000.txt": "E009_duplicate",
        "empty.txt": "E003_empty",
        "binary.bin": "E004_binary",
        "huge.txt": "E006_too_large",
        "bomb.docx": "E011_archive_bomb",
        "scan.pdf": "E007_no_text",
        "damaged.pdf": "E012_corrupt_file",
        "unknown-zip-version.docx": "E012_corrupt_file",
        "old-word.doc": "E012_corrupt_file",
        "workbook.xls": "E008_unsupported_format",
        "broken-link.txt": "E016_symbolic_link",  # a link is not followed unless asked, broken or not
        "pipe.txt": "E002_unreadable",
        "tracked.rtf": "E008_unsupported_format",
        "notice.ofd": "E012_corrupt_file",
    }
    messages = {Path(row["source_path"]).name: row["message"] for row in tables["errors"]}
    assert "OFD" in messages["notice.ofd"] and "Excel 97-2003" in messages["workbook.xls"] and "RTF" in messages["tracked.rtf"]
    assert "OLE2" in messages["old-word.doc"]
    # a damaged file is the file's fault, told as such, not a failure of the pipeline
    assert stages["damaged.pdf"] == stages["unknown-zip-version.docx"] == "ingest"
    extracted = {Path(row["source_path"]).name for row in tables["documents"]}
    assert {p.name for p in GOOD} <= extracted
    assert {
        "gbk.txt",
        "truncated-utf8.txt",
        "stray-byte.txt",
        "scripts.html",
        "real.docx",
        "text.pdf",
        "pdf-named.txt",
        "drawn.ofd",
        "exported.rtf",
    } <= extracted
    # word97.doc is sample 000 as Word 97-2003: the same content under another name would be a
    # duplicate, and it is not one (other bytes); its text is the sample's plus a table, so no repost
    assert "word97.doc" in extracted and "saved-page.mht" in extracted
    stray_row = next(r for r in tables["documents"] if r["source_path"].endswith("stray-byte.txt"))
    assert stray_row["issues_total"] == 16 and any(w.startswith("decode: 1 byte sequence") for w in stray_row["warnings"])
    docx_row = next(r for r in tables["documents"] if r["source_path"].endswith("real.docx"))
    assert docx_row["funds_recovered_cny"] == 5000.0 and docx_row["inspector"] == "县委第二巡察组"
    gbk_row = next(r for r in tables["documents"] if r["source_path"].endswith("gbk.txt"))
    assert gbk_row["agency"] == "宁海县民政局" and gbk_row["city"] == "宁波市"
    assert len(summary.errors) == len(tables["errors"])


def test_unchanged_rerun_does_no_work_and_changes_are_picked_up(tmp_path):
    corpus = tmp_path / "in"
    shutil.copytree(RAW, corpus)
    out = tmp_path / "out"
    first = extract_paths([corpus], out, workers=1)
    assert first.processed == 5 and first.reused == 0
    before = _tables(out)
    again = extract_paths([corpus], out, workers=1)
    assert again.processed == 0 and again.reused == 5
    assert _tables(out) == before

    (corpus / GOOD[3].name).unlink()  # removed files leave the dataset
    changed = corpus / GOOD[0].name
    changed.write_text(changed.read_text(encoding="utf-8").replace("追回多付资金3.0034万元", "追回多付资金4万元"), encoding="utf-8")
    third = extract_paths([corpus], out, workers=1)
    assert third.processed == 1 and third.reused == 3
    documents = _tables(out)["documents"]
    assert len(documents) == 4
    assert next(r for r in documents if r["source_path"].endswith(GOOD[0].name))["funds_recovered_cny"] == 40000.0
    assert _cached_documents(out) == 4  # nor do they stay in the cache
    forced = extract_paths([corpus], out, workers=1, force=True)
    assert forced.processed == 4 and forced.reused == 0


def test_an_unchanged_rerun_leaves_the_tables_untouched_until_something_changes(tmp_path):
    corpus = tmp_path / "in"
    shutil.copytree(RAW, corpus)
    out = tmp_path / "out"
    first = extract_paths([corpus], out, workers=1)

    def stamps() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")}

    written = stamps()
    again = extract_paths([corpus], out, workers=1)
    assert stamps() == written  # not rewritten
    assert (again.documents, again.reused, again.processed, again.by_type) == (first.documents, 5, 0, first.by_type)
    assert again.fields_filled == first.fields_filled and again.warnings == first.warnings

    (corpus / "empty.txt").write_bytes(b"")  # a new input, even one that cannot be read, is a change
    with_error = extract_paths([corpus], out, workers=1)
    assert with_error.processed == 0 and [e.kind.value for e in with_error.errors] == ["E003_empty"]
    assert stamps() != written and len(_tables(out)["errors"]) == 1

    written = stamps()
    (out / "issues.parquet").write_bytes(b"edited by hand")  # a table not as it was written
    extract_paths([corpus], out, workers=1)
    assert stamps() != written and _tables(out)["issues"]

    (corpus / GOOD[0].name).rename(corpus / "renamed.txt")  # same content, another name
    renamed = extract_paths([corpus], out, workers=1)
    assert renamed.processed == 0
    assert "renamed.txt" in {Path(r["source_path"]).name for r in _tables(out)["documents"]}


def test_a_cache_from_another_pipeline_version_is_neither_used_nor_kept(tmp_path):
    out = tmp_path / "out"
    extract_paths([GOOD[0]], out, workers=1)
    (current,) = (out / ".cache").iterdir()
    stale = current.rename(current.with_name("0.0.0-000000000000"))
    again = extract_paths([GOOD[0]], out, workers=1)
    assert again.processed == 1 and again.reused == 0
    assert [p.name for p in (out / ".cache").iterdir()] == [current.name]
    assert not stale.exists()


def _mixed_corpus(folder: Path, copies: int) -> Path:
    """The samples, each also repeated several times over (a long document
    among short ones) and with a copy's number: documents of unequal size
    that the workers finish out of order."""
    folder.mkdir()
    for i in range(copies):
        for k, path in enumerate(GOOD):
            text = path.read_text(encoding="utf-8")
            if (i + k) % 7 == 0:
                text = "\n".join([text] * 6)
            (folder / f"{i:02d}-{path.name}").write_text(f"{text}\n(第{i}份)", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def one_worker_run(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("configurations")
    corpus = _mixed_corpus(root / "in", copies=6)
    extract_paths([corpus], root / "one", workers=1)
    return corpus, _tables(root / "one")


@pytest.mark.parametrize(
    ("workers", "prefetch", "in_flight", "in_flight_bytes"),
    [
        (2, 32, 48, 32 << 20),  # as it runs: groups of 16
        (2, 8, 12, 32 << 20),  # groups of 4
        (2, 3, 4, 32 << 20),  # a document at a time
        (3, 3, 4, 32 << 20),
        (2, 1, 1, 32 << 20),
        (2, 3, 40, 32 << 20),
        (2, 8, 40, 32 << 20),
        (2, 32, 48, 1),  # a byte in flight: a group as short as one document
    ],
)
def test_every_configuration_writes_what_one_worker_writes(one_worker_run, tmp_path, monkeypatch, workers, prefetch, in_flight, in_flight_bytes):
    from bulletin_miner import batch

    corpus, expected = one_worker_run
    monkeypatch.setattr(batch.corpus, "DOCS_PER_WORKER", 1)  # a pool however small the batch
    monkeypatch.setattr(batch.corpus, "IN_FLIGHT_PER_WORKER", in_flight)
    monkeypatch.setattr(batch.corpus, "IN_FLIGHT_BYTES", in_flight_bytes)
    monkeypatch.setattr(batch.engine, "PREFETCH", prefetch)
    summary = extract_paths([corpus], tmp_path / "out", workers=workers)
    assert summary.documents == len(expected["documents"]) == 30
    assert _tables(tmp_path / "out") == expected
    # and a second run, every document from the cache, writes them again
    (tmp_path / "out" / "documents.parquet").unlink()
    again = extract_paths([corpus], tmp_path / "out", workers=workers)
    assert again.reused == 30 and _tables(tmp_path / "out") == expected


def test_a_pool_s_worker_sends_its_group_s_rows_together_each_document_s_as_extracted_alone():
    import pyarrow as pa

    from bulletin_miner.batch import Budget, engine
    from bulletin_miner.rows import RECORD_TABLES
    from bulletin_miner.schema import arrow_schema

    paths = [str(p) for p in GOOD]
    with engine.Engine(2, Budget()) as pool:
        for index, path in enumerate(paths):
            pool.submit(index, path, dispatch=False)
        pool.dispatch()  # five queued, fewer than a group: one worker takes them all
        assert sorted(len(w.tasks) for w in pool.workers) == [0, len(paths)]
        results = [pool.result(index) for index in range(len(paths))]
    for path, (doc_id, rows, error) in zip(paths, results, strict=True):
        alone_id, alone, _ = engine.process_file(path)
        assert error is None and doc_id == alone_id
        assert (rows["fingerprint"], rows["tally"]) == (alone["fingerprint"], alone["tally"])
        for table in RECORD_TABLES:
            group_table, offset, length = rows[table]  # its span of the group's table
            assert group_table is results[0][1][table][0]
            assert group_table.slice(offset, length).to_pylist() == pa.Table.from_pydict(alone[table], schema=arrow_schema(table)).to_pylist()


def test_long_documents_are_sent_before_their_group_is_done(monkeypatch):
    from bulletin_miner.batch import Budget, engine

    monkeypatch.setattr(engine, "GROUP_CHARS", 1)  # every document is long: none waits for the rest of its group
    paths = [str(p) for p in GOOD]
    with engine.Engine(2, Budget()) as pool:
        for index, path in enumerate(paths):
            pool.submit(index, path, dispatch=False)
        pool.dispatch()
        assert sorted(len(w.tasks) for w in pool.workers) == [0, len(paths)]  # one group
        results = [pool.result(index) for index in range(len(paths))]
    assert results == [engine.process_file(path) for path in paths]  # each sent alone, as its columns


def test_a_group_whose_rows_will_not_convert_is_sent_document_by_document(monkeypatch):
    from bulletin_miner import store
    from bulletin_miner.batch import Budget, engine

    def out_of_memory(documents, tables):
        raise MemoryError

    monkeypatch.setattr(store, "encode_rows", out_of_memory)  # in the forked workers too
    paths = [str(p) for p in GOOD]
    with engine.Engine(2, Budget()) as pool:
        for index, path in enumerate(paths):
            pool.submit(index, path, dispatch=False)
        pool.dispatch()
        results = [pool.result(index) for index in range(len(paths))]
    assert results == [engine.process_file(path) for path in paths]  # each as its own columns


class _Engine:
    """What _top_up sees of an engine: its workers, what they hold, the input bytes in flight."""

    def __init__(self, size: int, held: int, held_bytes: int):
        self.size, self.held, self.held_bytes, self.submitted, self.dispatched = size, held, held_bytes, [], []

    def busy(self) -> int:
        return self.held

    def submit(self, index, path, size, dispatch=True) -> None:
        self.submitted.append(index)
        self.held += 1
        self.held_bytes += size
        if dispatch:
            self.dispatch()

    def dispatch(self) -> None:
        self.dispatched.append(len(self.submitted))


@pytest.mark.parametrize(
    ("held", "held_bytes", "size", "expected"),
    [
        (0, 0, 20_000, 96),  # ordinary documents: IN_FLIGHT_PER_WORKER a worker
        (90, 0, 20_000, 6),
        (0, 0, 1_000_000, 34),  # documents of 1 MB: until 32 MiB of them
        (0, 40 << 20, 20_000, 2),  # large documents done, not yet written: one a worker still
        (2, 40 << 20, 20_000, 0),
    ],
)
def test_documents_in_flight_are_bounded_in_number_and_in_bytes(held, held_bytes, size, expected):
    from bulletin_miner.batch.corpus import _top_up

    engine = _Engine(2, held, held_bytes)
    paths = [Path(f"{i}.txt") for i in range(100)]
    _top_up(engine, iter(enumerate(paths)), dict.fromkeys(paths, size))
    assert len(engine.submitted) == expected
    assert engine.dispatched == [expected]  # handed out together, once queued: in groups


def test_a_workers_results_pipe_holds_many_documents_rows_where_the_system_allows():
    """So that a worker goes on while the driver writes a row group (engine.RESULTS_PIPE_BYTES)."""
    import fcntl

    from bulletin_miner.batch import Budget, engine

    with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as limit:
        allowed = int(limit.read()) >= engine.RESULTS_PIPE_BYTES or os.geteuid() == 0
    with engine.Engine(1, Budget()) as running:
        worker = running.workers[0]
        results, tasks = fcntl.fcntl(worker.inbox.fileno(), fcntl.F_GETPIPE_SZ), fcntl.fcntl(worker.outbox.fileno(), fcntl.F_GETPIPE_SZ)
    assert results == (engine.RESULTS_PIPE_BYTES if allowed else tasks) and tasks < engine.RESULTS_PIPE_BYTES


@pytest.mark.parametrize(
    ("documents", "asked", "cores", "expected"),
    [
        (1, None, 2, 1),  # one document: no pool
        (5, None, 2, 1),  # a handful
        (40, None, 2, 1),
        (41, None, 2, 2),
        (1000, None, 2, 2),  # one per core
        (1000, None, 8, 8),
        (1000, 3, 8, 3),  # as asked
        (1000, 1, 8, 1),
        (60, 8, 8, 2),  # asked for more than the batch makes worth it
        (0, None, 2, 1),
    ],
)
def test_the_workers_are_chosen_from_the_batch(monkeypatch, documents, asked, cores, expected):
    from bulletin_miner.batch import corpus

    monkeypatch.setattr(corpus.os, "cpu_count", lambda: cores)
    assert corpus.workers_for(documents, asked) == expected


def _reposted_corpus(folder: Path) -> Path:
    """Two bulletins, each also saved from a second site (other chrome, other metadata lines), and a near twin."""
    folder.mkdir()
    for sample in GOOD[:2]:
        text = sample.read_text(encoding="utf-8")
        title, body = text.split("\n", 1)
        paragraphs = "".join(f"<p>{line}</p>" for line in body.splitlines() if line.strip())
        for site, published in (("县纪委", "2024-10-12"), ("市纪委", "2024-10-15")):
            page = (
                f"<html><body><div>首页 > 巡察工作</div><h1>{title}</h1><div>来源:{site} 发布时间:{published} 阅读量:{len(site)}</div>"
                f"<div class='article'>{paragraphs}</div><div>版权所有:{site} ICP备000号</div></body></html>"
            )
            (folder / f"{sample.stem}-{site}.html").write_text(page, encoding="utf-8")
        shutil.copy(sample, folder / sample.name)  # the plain text too: it has no metadata line
    twin = GOOD[0].read_text(encoding="utf-8").replace("16个", "17个", 1)  # one figure apart: another document
    (folder / "twin.txt").write_text(twin, encoding="utf-8")
    return folder


def test_a_bulletin_reposted_on_another_page_is_counted_once(tmp_path):
    corpus = _reposted_corpus(tmp_path / "in")
    summary = extract_paths([corpus], tmp_path / "out", workers=1)
    tables = _tables(tmp_path / "out")
    written = sorted(Path(row["source_path"]).name for row in tables["documents"])
    first = sorted(p.name for p in corpus.iterdir())  # input order: the first of each text is kept
    assert written == sorted([first[0], first[3], "twin.txt"])
    reposts = {Path(row["source_path"]).name: row for row in tables["errors"]}
    assert set(reposts) == set(first) - set(written)
    assert all(row["error_kind"] == "E009_duplicate" and "same text as" in row["message"] for row in reposts.values())
    assert summary.documents == 3
    # from the cache, with two workers, the same; and with the kept page gone, a repost takes its place
    assert extract_paths([corpus], tmp_path / "two", workers=2).documents == 3
    assert _tables(tmp_path / "two") == tables
    (corpus / first[0]).unlink()
    extract_paths([corpus], tmp_path / "out", workers=2)
    assert first[1] in {Path(row["source_path"]).name for row in _tables(tmp_path / "out")["documents"]}


def test_a_bulletin_published_as_a_page_and_as_its_attachments_is_counted_once(tmp_path):
    # sites publish the page and attach the same bulletin as .pdf/.doc/.docx; a scraper keeps them all
    from conftest import auto_numbered_docx, cjk_pdf, typeset

    sample = GOOD[0]
    lines = [line for line in sample.read_text(encoding="utf-8").splitlines() if line.strip() not in ("", "|")]
    corpus = tmp_path / "in"
    corpus.mkdir()
    page = "".join(f"<p>{line}</p>" for line in lines[1:])
    (corpus / "a-page.html").write_text(
        f"<html><head><title>{lines[0]}</title></head><body><h1>{lines[0]}</h1><div>{page}</div></body></html>", encoding="utf-8"
    )
    (corpus / "b-attachment.pdf").write_bytes(cjk_pdf([piece for line in lines for piece in typeset(line, 28)], 22))
    (corpus / "c-attachment.docx").write_bytes(auto_numbered_docx(lines))
    shutil.copy(WORD97 / "numbered_000.doc", corpus / "d-attachment.doc")
    (corpus / "e-saved.mht").write_bytes(mhtml((corpus / "a-page.html").read_text(encoding="utf-8")))
    extract_paths([corpus], tmp_path / "out", workers=1)
    tables = _tables(tmp_path / "out")
    assert [Path(row["source_path"]).name for row in tables["documents"]] == ["a-page.html"]
    assert {Path(row["source_path"]).name: row["error_kind"] for row in tables["errors"]} == dict.fromkeys(
        ["b-attachment.pdf", "c-attachment.docx", "d-attachment.doc", "e-saved.mht"], "E009_duplicate"
    )


def _cached_documents(out: Path) -> int:
    """Documents in the cache so far: those of its whole segments (the documents file, renamed into place last, marks one)."""
    import pyarrow as pa

    count = 0
    for path in (out / ".cache").glob("*/*.documents.arrow"):
        try:
            count += pa.ipc.open_file(pa.memory_map(str(path))).read_all().num_rows
        except (OSError, pa.ArrowInvalid):  # removed as the run ended
            continue
    return count


@pytest.mark.parametrize("damage", ["truncate facts", "remove documents", "garbage texts"])
def test_a_damaged_cache_segment_is_extracted_again_not_trusted(tmp_path, damage):
    out = tmp_path / "out"
    extract_paths([RAW], out, workers=1)
    before = _tables(out)
    (segment_dir,) = (out / ".cache").iterdir()
    table = {"truncate facts": "facts", "remove documents": "documents", "garbage texts": "texts"}[damage]
    (path,) = segment_dir.glob(f"*.{table}.arrow")
    if damage == "remove documents":
        path.unlink()  # what a run killed while writing the segment leaves
    elif damage == "truncate facts":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        path.write_bytes(b"\0" * 4096)
    (out / "facts.parquet").unlink()  # so the tables must be written again, from the cache
    again = extract_paths([RAW], out, workers=1)
    assert again.processed == 5 and again.reused == 0
    assert _tables(out) == before
    assert _cached_documents(out) == 5


def test_killing_a_run_midway_then_rerunning_gives_the_uninterrupted_tables(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    for i in range(80):  # enough work that the kill lands mid-run, after the first row group (128 documents)
        for path in GOOD:
            text = path.read_text(encoding="utf-8")
            (corpus / f"{i:02d}-{path.name}").write_text(text + f"\n(副本{i})", encoding="utf-8")
    reference = tmp_path / "reference"
    extract_paths([corpus], reference, workers=2)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "bulletin_miner", "extract", str(corpus), "--out", str(out), "--workers", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and _cached_documents(out) < 20:
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (out / "documents.parquet").exists() or pq.read_table(out / "documents.parquet").num_rows in (0, 400)
    resumed = extract_paths([corpus], out, workers=2)
    assert resumed.reused >= 20  # what was finished before the kill is not redone
    assert _tables(out) == _tables(reference)
    assert not list(out.glob(".*.tmp"))


def test_nothing_in_a_document_makes_the_program_connect_anywhere(tmp_path, monkeypatch):
    import socket

    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    page = tmp_path / "page.html"
    page.write_text(
        '<!DOCTYPE html><html><head><script src="http://127.0.0.1:9/x.js"></script>'
        '<link rel="stylesheet" href="http://127.0.0.1:9/s.css"><meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/"></head>'
        '<body onload="fetch(\'http://127.0.0.1:9/\')"><img src="http://127.0.0.1:9/i.png"><iframe src="http://127.0.0.1:9/f"></iframe>'
        "<h1>中共某县民政局党组关于巡察整改进展情况的通报</h1><p>县委第一巡察组对县民政局党组进行了巡察。现将整改进展情况予以公布。</p>"
        '<script>require("child_process").exec("touch /tmp/pwned")</script></body></html>',
        encoding="utf-8",
    )
    (tmp_path / "entity.html").write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/e">]><html><body><p>&x;巡察整改情况</p></body></html>',
        encoding="utf-8",
    )
    summary = extract_paths([page, tmp_path / "entity.html"], tmp_path / "out", workers=1)
    assert summary.documents >= 1
    assert attempts == []


def test_a_file_that_vanishes_mid_run_is_reported_and_the_rest_kept(tmp_path, monkeypatch):
    from bulletin_miner import batch

    corpus = tmp_path / "in"
    shutil.copytree(RAW, corpus)
    doomed = corpus / GOOD[1].name
    real_hash = batch.corpus.inputs.content_hash

    def hash_then_vanish(path, *args):
        digest = real_hash(path, *args)
        if path == doomed:
            path.unlink()  # gone between being listed and being read
        return digest

    monkeypatch.setattr(batch.corpus.inputs, "content_hash", hash_then_vanish)
    summary = extract_paths([corpus], tmp_path / "out", workers=1)
    tables = _tables(tmp_path / "out")
    assert [row["error_kind"] for row in tables["errors"]] == ["E001_not_found"]
    assert summary.documents == 4 and len(tables["documents"]) == 4


def test_two_runs_into_one_folder_do_not_interleave(tmp_path):
    from bulletin_miner.errors import BulletinError

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from pathlib import Path; from bulletin_miner.batch import _exclusive\nwith _exclusive(Path({str(tmp_path)!r})):\n    print('held', flush=True); input()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BulletinError, match="another extraction"):
            extract_paths([RAW], tmp_path, workers=1)
    finally:
        holder.communicate("\n", timeout=30)
    assert extract_paths([RAW], tmp_path, workers=1).documents == 5


def test_tables_are_as_readable_as_any_file_the_user_writes(tmp_path):
    # temporary files made private (mkstemp's 0600) would stay private once renamed
    previous = os.umask(0o022)
    try:
        extract_paths([GOOD[0]], tmp_path / "out", workers=1)
    finally:
        os.umask(previous)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "out").glob("*.parquet")}
    assert modes and set(modes.values()) == {0o644}, modes


def test_a_facts_status_and_exactness_are_written_as_their_plain_names(tmp_path):
    # the rows hand Arrow the str enums themselves; what lands in Parquet must be the bare strings
    import pyarrow as pa

    extract_paths([RAW], tmp_path / "out", workers=1)
    facts = pq.read_table(tmp_path / "out" / "facts.parquet")
    assert facts.schema.field("status").type == pa.string() and facts.schema.field("exactness").type == pa.string()
    assert set(facts.column("status").to_pylist()) == {"stated", "inferred"}
    assert set(facts.column("exactness").to_pylist()) <= {"exact", "lower_bound", "approximate"}
    assert "lower_bound" in facts.column("exactness").to_pylist()


def test_an_error_crosses_from_its_worker_whatever_it_was_raised_during(tmp_path):
    """distributed installs tblib, which pickles an exception with the one it was
    raised during: lxml's XMLSyntaxError holds an error log that does not pickle."""
    pickling_support = pytest.importorskip("tblib.pickling_support")
    import copyreg

    corpus = tmp_path / "in"
    corpus.mkdir()
    with zipfile.ZipFile(corpus / "notice.ofd", "w") as package:  # OFD.xml is not XML: lxml raises
        package.writestr("OFD.xml", "<ofd:OFD/>")
        package.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    before = dict(copyreg.dispatch_table)  # the table multiprocessing's pickler holds: changed in place, then restored
    try:
        pickling_support.install()
        summary = extract_paths([corpus], tmp_path / "out", workers=1)
    finally:
        copyreg.dispatch_table.clear()
        copyreg.dispatch_table.update(before)
    assert [e.kind.value for e in summary.errors] == ["E012_corrupt_file"]
