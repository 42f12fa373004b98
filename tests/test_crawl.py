"""Crawls as input: web archives read capture by capture, the first look, provenance, bad archives."""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import RAW

from bulletin_miner.api import extract_paths
from bulletin_miner.ingest.firstlook import may_be_inspection

SAMPLES = sorted(RAW.glob("*.txt"))
COMPARED = ("doc_type", "title", "agency", "inspector", "inspection_start", "feedback_date", "issues_total", "funds_recovered_cny")
NEWS = "<html><head><title>全市秋粮收购工作会议召开</title></head><body><p>会议要求做好秋粮收购、储备和市场供应工作,确保农民增收。</p></body></html>"


def _tables(out: Path) -> dict[str, list[dict]]:
    return {t: pq.read_table(out / f"{t}.parquet").to_pylist() for t in ("documents", "errors")}


class _Site(http.server.SimpleHTTPRequestHandler):
    """The samples as a small site: pages in UTF-8 and, one, in GBK declared only by the HTTP header."""

    def log_message(self, *args):  # quiet
        pass

    def end_headers(self):
        if self.path.endswith(".txt"):
            self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def guess_type(self, path):
        if str(path).endswith("gbk.html"):
            return "text/html; charset=gbk"
        if str(path).endswith(".html"):
            return "text/html; charset=utf-8"
        if str(path).endswith(".txt"):
            return "text/plain; charset=utf-8"
        return super().guess_type(path)


@contextlib.contextmanager
def _serving(folder: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Site, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    for sample in SAMPLES:
        shutil.copy(sample, folder / sample.name)
    text = SAMPLES[0].read_text(encoding="utf-8")
    # the first sample, in GBK, with a line of its own (else it would be the same bulletin on another page)
    lines = [*text.splitlines(), "(本页为转载)"]
    (folder / "gbk.html").write_bytes(f"<html><body><p>{'</p><p>'.join(lines)}</p></body></html>".encode("gbk", errors="ignore"))
    (folder / "news.html").write_text(NEWS, encoding="utf-8")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    return folder


def _urls(base: str) -> list[str]:
    return [f"{base}/{s.name}" for s in SAMPLES] + [f"{base}/gbk.html", f"{base}/news.html", f"{base}/logo.png", f"{base}/missing.html"]


@pytest.fixture(scope="module")
def crawl(site, tmp_path_factory) -> Path:
    """A WARC written by a real crawler: wget --warc-file over the site served on 127.0.0.1 (make test installs wget)."""
    assert shutil.which("wget"), "wget is missing: make test installs it"
    folder = tmp_path_factory.mktemp("crawl")
    with _serving(site) as base:
        subprocess.run(
            ["wget", "--quiet", f"--warc-file={folder / 'site'}", "--delete-after", "--tries=1", "--no-http-keep-alive", *_urls(base)],
            cwd=folder,
            timeout=60,
            check=False,
        )
    return folder / "site.warc.gz"


# Samples that name no inspection (a plan against 整治 of care homes, a year's
# work summary): the first look passes them over in a crawl.
NO_INSPECTION = {"002_aef0191ba7bff192.txt", "003_9982923abb5d750b.txt"}
# What wget writes beside the responses: a request each, its log and manifest.
WGET_RECORDS = {"request": 9, "warcinfo": 1, "metadata": 1, "resource": 2}


@pytest.mark.parametrize("extract_all", [False, True])
def test_a_crawl_written_by_wget_extracts_as_the_files_do(crawl, tmp_path, extract_all):
    summary = extract_paths([crawl], tmp_path / "crawl", workers=1, extract_all=extract_all)
    extract_paths(SAMPLES, tmp_path / "files", workers=1)
    crawled = {r["source_url"].rsplit("/", 1)[1]: r for r in _tables(tmp_path / "crawl")["documents"]}
    files = {Path(r["source_path"]).name: r for r in _tables(tmp_path / "files")["documents"]}
    if not extract_all:
        assert not NO_INSPECTION & set(crawled) and "news.html" not in crawled  # the first look: no inspection named
        assert summary.skipped == {
            **WGET_RECORDS,
            "first look: no inspection word (resources/firstlook.yml)": 3,
            "media image/png": 1,
            "status 404": 1,
        }
        files = {name: row for name, row in files.items() if name not in NO_INSPECTION}
    else:
        assert "news.html" in crawled and summary.skipped == {**WGET_RECORDS, "media image/png": 1, "status 404": 1}
    for name, row in files.items():
        assert {k: crawled[name][k] for k in COMPARED} == {k: row[k] for k in COMPARED}, name
        assert crawled[name]["doc_id"] == row["doc_id"]  # the same bytes: the same document
        assert crawled[name]["crawled_at"] is not None and crawled[name]["source_path"].startswith(f"{crawl}#<urn:uuid:")
    # the page in GBK, declared only by its HTTP header, reads as the sample does
    assert (
        crawled["gbk.html"]["agency"] == files[SAMPLES[0].name]["agency"]
        and crawled["gbk.html"]["feedback_date"] == files[SAMPLES[0].name]["feedback_date"]
    )
    assert files[SAMPLES[0].name]["source_url"] is None


# --- records built one by one, for what real archives do -----------------------


def _record(
    url: str,
    payload: bytes,
    *,
    compress: bool = True,
    status: str = "200 OK",
    content_type: str = "text/html; charset=utf-8",
    headers: tuple = (),
    date: str | None = None,
) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compress)
    http_headers = StatusAndHeaders(status, [("Content-Type", content_type), *headers], protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": date} if date else None
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http_headers, warc_headers_dict=warc_headers)
    writer.write_record(record)
    return buffer.getvalue()


def _page(i: int) -> bytes:
    return SAMPLES[i].read_bytes()


def _with_length(record: bytes, change: int) -> bytes:
    """The record with its WARC Content-Length off by `change` (a gzip member stays one)."""
    compressed = record[:2] == b"\x1f\x8b"
    plain = gzip.decompress(record) if compressed else record
    declared = re.search(rb"Content-Length: (\d+)", plain)
    plain = plain.replace(declared.group(0), b"Content-Length: %d" % (int(declared.group(1)) + change), 1)
    return gzip.compress(plain) if compressed else plain


BAD_ARCHIVES = {
    # a download cut off inside its last record
    "truncated.warc.gz": lambda: _record("http://a/0", _page(0)) + _record("http://a/1", _page(1)) + _record("http://a/4", _page(4))[:-200],
    # a record whose Content-Length says more, and one that says less, than its block holds
    "longer.warc": lambda: (
        _record("http://a/0", _page(0), compress=False)
        + _with_length(_record("http://a/bad", _page(2), compress=False), 400)
        + _record("http://a/1", _page(1), compress=False)
        + _record("http://a/4", _page(4), compress=False)
    ),
    "shorter.warc.gz": lambda: (
        _record("http://a/0", _page(0))
        + _with_length(_record("http://a/bad", _page(2)), -300)
        + _record("http://a/1", _page(1))
        + _record("http://a/4", _page(4))
    ),
    # a gzip member that holds no WARC record between good ones
    "stranger.warc.gz": lambda: (
        _record("http://a/0", _page(0))
        + gzip.compress(b"GET / HTTP/1.1\r\nnot a record\r\n\r\n")
        + _record("http://a/1", _page(1))
        + _record("http://a/4", _page(4))
    ),
    # a payload sent gzip-encoded that inflates to 40 MB
    "bomb.warc.gz": lambda: (
        _record("http://a/0", _page(0))
        + _record("http://a/bomb", gzip.compress(b"\x20" * (40 * 1024 * 1024)), headers=(("Content-Encoding", "gzip"),))
        + _record("http://a/1", _page(1))
        + _record("http://a/4", _page(4))
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_ARCHIVES))
def test_a_bad_record_is_an_error_row_and_every_good_one_is_extracted(name, tmp_path):
    archive = tmp_path / name
    archive.write_bytes(BAD_ARCHIVES[name]())
    summary = extract_paths([archive], tmp_path / "out", workers=1)
    tables = _tables(tmp_path / "out")
    urls = sorted(r["source_url"] for r in tables["documents"])
    good = ["http://a/0", "http://a/1"] if name == "truncated.warc.gz" else ["http://a/0", "http://a/1", "http://a/4"]
    assert urls == good, name
    assert len(tables["errors"]) == 1 and tables["errors"][0]["source_path"].startswith(f"{archive}#")
    assert tables["errors"][0]["error_kind"] in ("E012_corrupt_file", "E006_too_large")
    assert summary.documents == len(good)


def test_of_a_url_captured_twice_the_latest_is_kept_and_the_older_said(tmp_path):
    archive = tmp_path / "twice.warc.gz"
    archive.write_bytes(
        _record("http://a/page", _page(0), date="2024-08-01T00:00:00Z")
        + _record("http://a/page", _page(0) + "\n更新".encode(), date="2024-09-01T00:00:00Z")
    )
    extract_paths([archive], tmp_path / "out", workers=1)
    tables = _tables(tmp_path / "out")
    (kept,) = tables["documents"]
    assert str(kept["crawled_at"]) == "2024-09-01 00:00:00"
    (older,) = tables["errors"]
    assert older["error_kind"] == "E017_older_capture" and "2024-08-01" in older["message"] and kept["source_path"] in older["message"]


def test_a_page_in_a_folder_and_in_a_crawl_is_counted_once(tmp_path):
    archive = tmp_path / "crawl.warc.gz"
    archive.write_bytes(_record("http://a/0", _page(0)))
    summary = extract_paths([RAW / SAMPLES[0].name, archive], tmp_path / "out", workers=1)
    assert summary.documents == 1 and [e.kind.value for e in summary.errors] == ["E009_duplicate"]


def test_a_wacz_is_read_through_its_warcs(tmp_path):
    wacz = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(wacz, "w") as package:
        package.writestr("archive/data.warc.gz", _record("http://a/0", _page(0)) + _record("http://a/1", _page(1)))
        package.writestr("datapackage.json", "{}")
    extract_paths([wacz], tmp_path / "out", workers=2)
    rows = _tables(tmp_path / "out")["documents"]
    assert sorted(r["source_url"] for r in rows) == ["http://a/0", "http://a/1"]
    assert all(r["source_path"].startswith(f"{wacz}!data.warc.gz#") for r in rows)


def test_a_cached_document_takes_this_runs_provenance(tmp_path):
    first, second = tmp_path / "first.warc.gz", tmp_path / "second.warc.gz"
    first.write_bytes(_record("http://old.example/0", _page(0)))
    second.write_bytes(_record("http://new.example/0", _page(0)))
    out = tmp_path / "out"
    extract_paths([first], out, workers=1)
    again = extract_paths([second], out, workers=1)
    (row,) = _tables(out)["documents"]
    assert again.reused == 1 and row["source_url"] == "http://new.example/0" and row["source_path"].startswith(str(second))


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "big5", "utf-16-le"])
def test_the_first_look_passes_every_sample_that_names_an_inspection_in_every_encoding(encoding):
    for sample in (s for s in SAMPLES if s.name not in NO_INSPECTION):
        text = sample.read_text(encoding="utf-8")
        assert may_be_inspection(text.encode(encoding, errors="ignore"), "text/html"), sample.name
