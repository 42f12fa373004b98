"""Building the spaCy pipeline from `pipelines/bulletin.cfg` and running it on one document."""

from __future__ import annotations

import functools
import gc
import time
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from bulletin_miner import stages
from bulletin_miner.config import PIPELINE_CONFIG, RESOURCES_DIR
from bulletin_miner.errors import BulletinError, ErrorKind
from bulletin_miner.ingest import SourceDocument
from bulletin_miner.records import DocumentRecord, assemble_fields
from bulletin_miner.stages.tokenizer import document_vocab


@functools.lru_cache(maxsize=4)
def build_pipeline(config_path: Path = PIPELINE_CONFIG) -> Language:
    """The pipeline declared in the config file (cached per process), its tables loaded."""
    config = spacy.util.load_config(config_path)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    _load_tables(nlp)
    return nlp


def _load_tables(nlp: Language) -> None:
    """Load what the stages load lazily (cpca's and libphonenumber's tables,
    every resource's patterns) once per process at start-up rather than
    inside the first documents.

    Running the pipeline over a small made-up bulletin reaches each of them
    and checks the pipeline works before any real document is read.
    """
    from bulletin_miner.ingest.textnorm import normalize
    from bulletin_miner.normalize.region import place_of_phone

    place_of_phone("0576-83302110")  # libphonenumber's metadata, the area codes, and cpca through its answer
    text = normalize((RESOURCES_DIR / "warmup.txt").read_text(encoding="utf-8")).text
    st = stages.state(annotate(text, "<warm-up>", nlp))
    assemble_fields(st.facts, [], st.sentence_span)
    # What start-up loaded stays for the life of the process: out of the
    # collector's sight, a full collection no longer walks it (65 ms each,
    # one every few hundred documents). Not collected first: start-up leaves
    # about a thousand objects of garbage, and finding them takes 50 ms.
    gc.freeze()


def preload_for_workers() -> None:
    """Load what only some documents need, in a process about to fork several
    workers: they share it, where each would otherwise load its own. A lone
    worker leaves it to the documents that need it: the segmenter (0.13 s),
    which only cuts outline labels longer than MAX_LABEL_CHARS."""
    from bulletin_miner.stages.outline import _segmenter

    _segmenter().cut("")


# Components a record does not read: `spans` only re-presents the facts as
# Doc spans (for spaCy's tools); the record is made from `doc._.bm`.
NOT_FOR_RECORDS = ("spans",)


def annotate(
    text: str,
    source_path: str = "<text>",
    nlp: Language | None = None,
    *,
    skip: tuple[str, ...] = (),
    timings: dict[str, float] | None = None,
) -> Doc:
    """Run the stages (all but those in `skip`) over a normalised text; the Doc
    carries the state in `doc._.bm` and the values as strict spans in
    `doc.spans["facts"]`. Given `timings`, each stage adds its seconds there
    (benchmarks/bench.py reports them).

    A stage that fails raises BulletinError naming the stage, so the batch
    can report the document and go on.
    """
    nlp = nlp or build_pipeline()
    return _run_stages(nlp, nlp.make_doc(text), text, source_path, skip, timings)


def _run_stages(
    nlp: Language, doc: Doc, text: str, source_path: str, skip: tuple[str, ...], timings: dict[str, float] | None, written: str = ""
) -> Doc:
    doc._.bm = stages.DocState(text=text, written=written, text_length=len(text), source_path=source_path)
    for name, component in nlp.pipeline:
        if name in skip:
            continue
        started = time.perf_counter()
        try:
            doc = component(doc)
        except BulletinError:
            raise
        except Exception as err:  # a bug or an input no rule foresaw: report, don't stop the batch
            raise BulletinError(ErrorKind.EXTRACTION, f"{type(err).__name__}: {err}", path=source_path, stage=name) from err
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
    return doc


def run(source: SourceDocument, nlp: Language | None = None, timings: dict[str, float] | None = None) -> DocumentRecord:
    """Run the stages a record reads (all but NOT_FOR_RECORDS) over one document
    and assemble its record.

    The stages a record reads keep what they find in `doc._.bm` and never
    read the Doc's tokens (only `spans`, left out here, does), so an empty
    Doc carries the state: making a Doc of the text interned the whole text
    in a vocabulary, 0.08 ms a document, for nothing the record holds.
    """
    nlp = nlp or build_pipeline()
    text = source.normalized.text
    carrier = Doc(document_vocab(), words=[])
    st = stages.state(_run_stages(nlp, carrier, text, source.source_path, NOT_FOR_RECORDS, timings, source.normalized.written))
    warnings = [*source.warnings, *st.warnings]
    fields = assemble_fields(st.facts, warnings, st.sentence_span)
    outline = st.outline
    return DocumentRecord(
        doc_id=source.doc_id,
        source_path=source.source_path,
        text=text,
        offset_runs=source.normalized.offset_runs(),
        fields=fields,
        facts=list(st.facts),
        warnings=warnings,
        fact_sentences=[st.sentence_span(f.start) for f in st.facts],
        issues=list(outline.issues) if outline else [],
        measures=list(outline.measures) if outline else [],
    )
