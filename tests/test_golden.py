"""Regression over the sample documents: every scored gold field must be right."""

from __future__ import annotations

import json

import pytest
from conftest import GOLD, RAW

from bulletin_miner.evaluate import same_value

GOLD_FILES = sorted(GOLD.glob("*.json"))


def _scored():
    for path in GOLD_FILES:
        answer = json.loads(path.read_text(encoding="utf-8"))
        for field, expected in answer["fields"].items():
            yield pytest.param(answer["document"], field, expected, id=f"{path.stem[:3]}-{field}")


@pytest.mark.parametrize("document, field, expected", list(_scored()))
def test_gold_field(sample_records, document, field, expected):
    got = sample_records[document].fields[field]
    assert same_value(got, expected), f"{document} {field}: got {got!r}, gold {expected!r}"


def test_every_filled_field_has_facts_with_exact_spans(sample_records):
    for record in sample_records.values():
        fields_with_facts = {f.field for f in record.facts}
        for name, value in record.fields.items():
            if value not in (None, []):
                assert name in fields_with_facts, f"{record.source_path}: {name} has no fact"
        for fact in record.facts:
            assert record.text[fact.start : fact.end] == fact.text


def test_recovered_funds_have_one_fact_per_amount(sample_records):
    record = sample_records["000_0c943710c0299a2d.txt"]
    amounts = [f for f in record.facts if f.field == "funds_recovered_cny"]
    assert [f.text for f in amounts] == ["3.0034万元"]
    assert sum(f.value for f in amounts) == record.fields["funds_recovered_cny"]


def test_carried_over_years_are_marked_inferred(sample_records):
    record = sample_records["001_7162a60a943e85f9.txt"]
    feedback = [f for f in record.facts if f.field == "feedback_date"]
    assert feedback and all(f.status.value == "inferred" and f.text == "7月13日" for f in feedback)


def test_every_value_is_a_strict_span_of_the_doc():
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import annotate

    for path in sorted(GOLD.parent.parent.joinpath("data", "raw").glob("*.txt")):
        text = load_document(path).normalized.text
        doc = annotate(text, str(path))
        assert doc.text == text
        facts = doc._.bm.facts
        assert len(doc.spans["facts"]) == sum(1 for f in facts if f.end > f.start)
        for fact in facts:
            if fact.end > fact.start:
                span = doc.char_span(fact.start, fact.end, alignment_mode="strict")
                assert span is not None and span.text == fact.text, fact
        assert [s.start_char for s in doc.sents][:3] == doc._.bm.sentence_starts[:3]


def test_records_skip_only_stages_that_add_nothing_to_the_state():
    # a corpus run leaves out the spans stage, and runs the others on an empty
    # Doc; its records must be what the full pipeline, on the Doc of the text, finds
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import NOT_FOR_RECORDS, annotate, run
    from bulletin_miner.records import assemble_fields

    for path in sorted(GOLD.parent.parent.joinpath("data", "raw").glob("*.txt")):
        source = load_document(path)
        text = source.normalized.text
        full, skipped = annotate(text, str(path))._.bm, annotate(text, str(path), skip=NOT_FOR_RECORDS)._.bm
        assert (skipped.facts, skipped.warnings, skipped.outline) == (full.facts, full.warnings, full.outline)
        record = run(source)
        warnings = list(full.warnings)
        fields = assemble_fields(full.facts, warnings, full.sentence_span)
        assert (record.facts, record.fields, record.warnings) == (full.facts, fields, warnings)
        assert (record.issues, record.measures) == (full.outline.issues if full.outline else [], full.outline.measures if full.outline else [])


def test_timings_name_every_stage_that_ran():
    # benchmarks/bench.py reports these; a stage left out of them would vanish from its table
    from bulletin_miner.pipeline import NOT_FOR_RECORDS, annotate, build_pipeline

    text = (GOLD.parent.parent / "data" / "raw" / "001_7162a60a943e85f9.txt").read_text(encoding="utf-8")
    timings: dict[str, float] = {}
    annotate(text, skip=NOT_FOR_RECORDS, timings=timings)
    assert list(timings) == [name for name in build_pipeline().pipe_names if name not in NOT_FOR_RECORDS]
    assert all(seconds > 0 for seconds in timings.values())


def test_documents_leave_the_shared_vocabulary_as_it_was():
    # Lines and values are mostly unique strings: kept in the pipeline's
    # vocabulary, they would grow memory with every document of a corpus.
    from bulletin_miner.ingest import load_document
    from bulletin_miner.pipeline import annotate, build_pipeline

    nlp = build_pipeline()
    texts = [load_document(p).normalized.text for p in sorted(GOLD.parent.parent.joinpath("data", "raw").glob("*.txt"))]
    annotate(texts[0])
    before = (len(nlp.vocab), len(nlp.vocab.strings))
    for i, text in enumerate(texts * 3):
        annotate(f"{text}\n第{i}份")
    assert (len(nlp.vocab), len(nlp.vocab.strings)) == before


def test_the_warm_up_bulletin_reaches_every_stage():
    # build_pipeline runs it so that no real document pays for loading
    # patterns and tables; a stage it never reaches would load inside one.
    from bulletin_miner.config import RESOURCES_DIR
    from bulletin_miner.ingest.textnorm import normalize
    from bulletin_miner.pipeline import annotate, build_pipeline

    nlp = build_pipeline()
    text = normalize((RESOURCES_DIR / "warmup.txt").read_text(encoding="utf-8")).text
    st = annotate(text, "<warm-up>", nlp)._.bm
    finders = {f"bm_{name}_v1" for name in nlp.pipe_names if name != "spans"}
    assert finders <= {f.stage for f in st.facts}
    assert st.outline.measures


@pytest.mark.parametrize("path", sorted(RAW.glob("*.txt")), ids=lambda p: p.stem[:3])
def test_a_sample_served_in_traditional_script_reads_as_its_simplified_text(sample_records, path):
    """Reposts serve bulletins in traditional script (巡視整改進展情況, 億元):
    every field (those quoted as written in their own script), fact and problem comes out as from the simplified text, and
    each fact's span maps back onto the traditional characters it was read from."""
    import opencc

    from bulletin_miner.api import extract_text
    from bulletin_miner.ingest.textnorm import source_span

    to_traditional = opencc.OpenCC("s2t.json").convert
    traditional = to_traditional(path.read_text(encoding="utf-8"))
    assert traditional != path.read_text(encoding="utf-8")
    record = extract_text(traditional, path.name)
    simplified = sample_records[path.name]
    # values quoted as written (title, round, address) keep their own script; every other value reads as from the simplified text
    as_written = {
        name: to_traditional(simplified.fields[name]) if simplified.fields[name] else None for name in ("title", "inspection_round", "address")
    }
    assert record.fields == {**simplified.fields, **as_written}
    assert record.issues == simplified.issues
    assert any(w.startswith("script:") for w in record.warnings)
    for fact in record.facts:
        start, end = source_span(record.offset_runs, fact.start, fact.end)
        assert len(traditional[start:end]) == len(fact.text)
