"""A document as a page: every value highlighted and labelled with its field, warnings on top, the outline beside."""

from __future__ import annotations

import collections
import html.parser

import pytest
from conftest import RAW
from typer.testing import CliRunner

import bulletin_miner as bm
from bulletin_miner.cli import app
from bulletin_miner.show import record_page


class _Marks(html.parser.HTMLParser):
    """The field of each highlight drawn, with the text of the token it starts on."""

    def __init__(self):
        super().__init__()
        self.fields: list[str] = []
        self.warnings: list[str] = []
        self._in_warnings = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-field" in attrs:
            self.fields.append(attrs["data-field"])
        if attrs.get("class") == "warnings":
            self._in_warnings = 1

    def handle_data(self, data):
        if self._in_warnings and data.strip():
            self.warnings.append(data.strip())

    def handle_endtag(self, tag):
        if tag == "section":
            self._in_warnings = 0


def _drawn(page: str) -> _Marks:
    marks = _Marks()
    marks.feed(page)
    return marks


def _expected(text: str, facts) -> collections.Counter:
    """A highlight per fact and line it stands on (a page draws line by line)."""
    starts, at = [], 0
    for line in text.split("\n"):
        starts.append((at, at + len(line)))
        at += len(line) + 1
    return collections.Counter(field for field, s, e in facts for a, b in starts if s < b and e > a)


@pytest.mark.parametrize("sample", sorted(p.name for p in RAW.glob("*.txt")))
def test_every_fact_of_a_record_is_highlighted_with_its_field(sample_records, sample):
    record = sample_records[sample]
    drawn = _drawn(record_page(record))
    assert collections.Counter(drawn.fields) == _expected(record.text, [(f.field, f.start, f.end) for f in record.facts])
    assert record.facts  # a page with nothing to draw would prove nothing


def test_the_page_puts_warnings_first_and_the_outline_beside(sample_records):
    record = sample_records["004_707284983d94a040.txt"]
    page = record_page(record)
    assert record.warnings and all(w in html.unescape(page) for w in record.warnings)
    assert page.index('class="warnings"') < page.index('class="text"') < page.index("class='outline'")
    for issue in record.issues:
        assert html.escape(issue["title"]) in page


def test_a_dataset_shows_a_document_from_its_tables(tmp_path):
    bm.extract_paths([RAW], tmp_path, workers=1)
    ds = bm.read_dataset(tmp_path)
    for doc_id in ds.documents["doc_id"]:
        page = ds.show(doc_id)
        text = ds.texts.loc[ds.texts["doc_id"] == doc_id, "text"].iloc[0]
        facts = ds.facts[ds.facts["doc_id"] == doc_id]
        assert collections.Counter(_drawn(page).fields) == _expected(text, zip(facts["field"], facts["char_start"], facts["char_end"], strict=True))
        assert page._repr_html_() == str(page)  # a notebook shows it as a page
    with pytest.raises(KeyError):
        ds.show("no-such-document")


def test_inspect_writes_the_page(tmp_path):
    out = tmp_path / "page.html"
    result = CliRunner().invoke(app, ["inspect", str(RAW / "000_0c943710c0299a2d.txt"), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert 'data-field="funds_recovered_cny"' in out.read_text(encoding="utf-8")
