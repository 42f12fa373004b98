"""One document as a page an analyst checks at a glance: its text with every
extracted value highlighted and labelled with its field (spaCy's displaCy
span renderer draws them), its warnings at the top, its outline beside.

Used by `bulletin-miner inspect FILE --html OUT` (from a fresh record) and by
`Dataset.show(doc_id)` in a notebook (from the tables): both come to
`document_page`, so what is drawn is what the tables hold.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# displaCy's span templates, each span start also marked with its field (data-field)
# and its value on hover, so a page can be checked (and tested) span by span.
_START = """
<span data-field="{label}" title="{label}" style="background: {bg}; top: {top_offset}px; height: 4px; border-top-left-radius: 3px; border-bottom-left-radius: 3px; left: -1px; width: calc(100% + 2px); position: absolute;">
    <span style="background: {bg}; z-index: 10; color: #000; top: -0.5em; padding: 2px 3px; position: absolute; font-size: 0.6em; font-weight: bold; line-height: 1; border-radius: 3px">{label}{kb_link}</span>
</span>"""
_SLICE = """
<span style="background: {bg}; top: {top_offset}px; height: 4px; left: -1px; width: calc(100% + 2px); position: absolute;"></span>"""
_SPAN = """<span style="font-weight: bold; display: inline-block; position: relative; height: {total_height}px;">{text}{span_slices}{span_starts}</span>"""

# One colour a kind of field, so a page reads by kind: the unit and place,
# the inspection, dates, counts, money, outcomes, contacts, the codebook.
COLOURS = {
    (
        "agency",
        "party_body",
        "province",
        "city",
        "county",
        "adcode",
        "admin_level",
        "sector",
        "place_evidence",
        "units_listed",
        "source_site",
    ): "#d7c7f2",
    ("inspector", "inspection_kind", "inspection_modes", "inspection_theme", "inspection_round", "doc_type", "title", "doc_number"): "#c7dcf2",
    ("inspection_start", "inspection_end", "feedback_date", "published_date", "measure_date"): "#bfe3f7",
    (
        "issue_aspects",
        "issues_total",
        "issues_refined",
        "issues_completed",
        "issues_in_progress",
        "issues_long_term",
        "completion_rate",
        "measures_total",
        "measure_count",
    ): "#c9efc4",
    ("funds_recovered_cny", "measure_amount"): "#ffd8a8",
    ("rules_established", "people_talked", "people_disciplined"): "#f7d2c4",
    ("phone", "email", "postcode", "address"): "#e0e0e0",
    ("issue_category", "measure_kind"): "#fff3a8",
}
COLOUR_OF = {field: colour for fields, colour in COLOURS.items() for field in fields}
OTHER_COLOUR = "#eeeeee"
FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'


@dataclass(frozen=True)
class Highlight:
    field: str
    start: int
    end: int
    value: str


def _line_docs(text: str, highlights: Sequence[Highlight]) -> Iterable[tuple[Any, list[tuple[int, int, str]]]]:
    """Each line of the text as a spaCy Doc cut at every highlight's edge, with
    the highlights in it as (first token, end token, field)."""
    import spacy
    from spacy.tokens import Doc

    vocab = spacy.blank("zh").vocab
    at = 0
    for line in text.split("\n"):
        start, end = at, at + len(line)
        at = end + 1
        inside = [h for h in highlights if h.start < end and h.end > start] if line else []
        cuts = sorted({start, end, *(max(start, min(end, p)) for h in inside for p in (h.start, h.end))})
        pieces = [(a, b) for a, b in itertools.pairwise(cuts) if b > a] or [(start, end)]
        words = [text[a:b] for a, b in pieces] if line else [" "]
        doc = Doc(vocab, words=words, spaces=[False] * len(words))
        index = {a: i for i, (a, _) in enumerate(pieces)}
        ends = {b: i + 1 for i, (_, b) in enumerate(pieces)}
        spans = [(index[max(h.start, start)], ends[min(h.end, end)], h.field) for h in inside]
        yield doc, spans


def text_html(text: str, highlights: Sequence[Highlight]) -> str:
    """The text, line by line, each value highlighted and labelled (displaCy's span style)."""
    from spacy import displacy
    from spacy.tokens import Span

    options = {
        "spans_key": "bm",
        "colors": {h.field: COLOUR_OF.get(h.field, OTHER_COLOUR) for h in highlights},
        "template": {"span": _SPAN, "slice": _SLICE, "start": _START},
    }
    lines = []
    for doc, spans in _line_docs(text, highlights):
        if not spans:  # nothing to draw on this line: its text as it is
            lines.append(f'<div class="spans" style="line-height: 2.5">{html.escape(doc.text) or "&nbsp;"}</div>')
            continue
        doc.spans["bm"] = [Span(doc, a, b, label=field) for a, b, field in spans]
        lines.append(displacy.render(doc, style="span", options=options, page=False, jupyter=False))
    return "\n".join(lines)


def outline_html(issues: Sequence[dict], measures: Sequence[dict]) -> str:
    if not issues:
        return "<p class='none'>no problems listed</p>"
    by_issue: dict[Any, list[dict]] = {}
    for m in measures:
        by_issue.setdefault(m.get("issue_seq"), []).append(m)
    items = []
    for issue in issues:
        category = issue.get("category") or "—"
        rows = "".join(
            f"<li><span class='kind'>{html.escape(str(m.get('kind') or '—'))}</span> {html.escape(str(m.get('ordinal') or ''))} {html.escape(str(m.get('label') or ''))}</li>"
            for m in by_issue.get(issue.get("seq"), [])
        )
        items.append(
            f"<li><b>{html.escape(str(issue.get('path') or ''))}</b> {html.escape(str(issue.get('title') or ''))} "
            f"<span class='category'>{html.escape(category)}</span>"
            f"{'<ul>' + rows + '</ul>' if rows else ''}</li>"
        )
    return "<ol class='outline'>" + "".join(items) + "</ol>"


def document_page(
    *,
    title: str,
    source: str,
    text: str,
    highlights: Sequence[Highlight],
    fields: dict[str, Any],
    warnings: Sequence[str],
    issues: Sequence[dict],
    measures: Sequence[dict],
) -> str:
    """The whole page, self-contained (no script, no fetch)."""
    filled = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(', '.join(map(str, value)) if isinstance(value, (list, tuple)) else str(value))}</td></tr>"
        for name, value in fields.items()
        if value not in (None, [], "")
    )
    warned = "".join(f"<li>{html.escape(w)}</li>" for w in warnings) or "<li class='none'>none</li>"
    legend = "".join(
        f"<span class='key' style='background:{colour}'>{html.escape(' '.join(fields_[:3]))}…</span>" for fields_, colour in COLOURS.items()
    )
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: {FONT_STACK}; margin: 1.5em; }}
.layout {{ display: grid; grid-template-columns: minmax(0, 3fr) minmax(18em, 2fr); gap: 2em; }}
.warnings {{ background: #fff4e5; border-left: 4px solid #f0a020; padding: .5em 1em; }}
.fields {{ border-collapse: collapse; font-size: 13px; }} .fields th, .fields td {{ border-bottom: 1px solid #eee; padding: 2px 6px; text-align: left; vertical-align: top; }}
.outline {{ font-size: 14px; }} .category, .kind {{ background: #fff3a8; border-radius: 3px; padding: 0 4px; font-size: 12px; }}
.key {{ display: inline-block; margin: 0 4px 4px 0; padding: 1px 6px; border-radius: 3px; font-size: 12px; }} .none {{ color: #888; }}
.text .spans {{ margin: 0; }}
</style></head><body>
<h1>{html.escape(title)}</h1><p><small>{html.escape(source)}</small></p>
<section class="warnings"><b>warnings</b><ul>{warned}</ul></section>
<p>{legend}</p>
<div class="layout"><section class="text">{text_html(text, highlights)}</section>
<aside><h2>fields</h2><table class="fields">{filled}</table><h2>outline</h2>{outline_html(issues, measures)}</aside></div>
</body></html>"""


def record_page(record) -> str:
    """The page of a DocumentRecord (what `bulletin-miner inspect --html` writes)."""
    highlights = [Highlight(f.field, f.start, f.end, f.canonical) for f in record.facts]
    title = str(record.fields.get("title") or record.source_path)
    return document_page(
        title=title,
        source=f"{record.source_path} ({record.doc_id})",
        text=record.text,
        highlights=highlights,
        fields=record.fields,
        warnings=record.warnings,
        issues=record.issues,
        measures=record.measures,
    )
