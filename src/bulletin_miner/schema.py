"""The single source of truth for every table: type, unit, description.

Arrow schemas (with descriptions in the field metadata), the gold-scored field
list and the data dictionary are all generated from the tables below.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


class Combine(str, Enum):
    """How several facts for one document field become its value."""

    AGREE = "agree"  # every mention must state the same value, else empty + warning
    FIRST = "first"  # the first fact in document order wins (titles, contacts)
    SUM = "sum"  # amounts are added up (money recovered)
    SUM_IN_SENTENCE = "sum_in_sentence"  # one sentence's enumeration is added up; sentences must agree
    LIST = "list"  # each distinct value is kept, in document order (modes)
    NONE = "none"  # not built from facts (bookkeeping columns)


class ArrowType(Enum):
    """A column's Arrow type, by name: pyarrow makes it only when a table is
    written or read, so a process that only extracts (a worker) never imports
    pyarrow (0.1 s of every start-up)."""

    STRING = "string"
    DATE = "date32"
    INT = "int32"
    FLOAT = "float64"
    BOOL = "bool_"
    LIST_STRING = "list<string>"
    LIST_DATE = "list<date32>"
    LIST_INT = "list<int32>"
    TIMESTAMP = "timestamp[s]"

    def arrow(self) -> pa.DataType:
        return _arrow_type(self.value)

    def __str__(self) -> str:  # as Arrow spells it (the data dictionary's type column)
        return str(self.arrow())


@functools.cache
def _arrow_type(name: str) -> pa.DataType:
    import pyarrow as pa

    if name.startswith("list<"):
        return pa.list_(_arrow_type(name[len("list<") : -1]))
    if name.startswith("timestamp["):
        return pa.timestamp(name[len("timestamp[") : -1])
    return getattr(pa, name)()


@dataclass(frozen=True)
class Column:
    name: str
    type: ArrowType
    description: str
    unit: str = ""
    combine: Combine = Combine.NONE
    scored: bool = False  # a field of ../shared/gold/SCHEMA.md

    def field(self) -> pa.Field:
        meta = {"description": self.description}
        if self.unit:
            meta["unit"] = self.unit
        import pyarrow as pa

        return pa.field(self.name, self.type.arrow(), nullable=True, metadata=meta)


def _f(name, type_, description, combine=Combine.AGREE, unit=""):
    return Column(name, type_, description, unit=unit, combine=combine, scored=True)


STR, DATE, INT, FLOAT = ArrowType.STRING, ArrowType.DATE, ArrowType.INT, ArrowType.FLOAT
LIST_STR, LIST_DATE, LIST_INT = ArrowType.LIST_STRING, ArrowType.LIST_DATE, ArrowType.LIST_INT

DOCUMENT_FIELDS: tuple[Column, ...] = (
    _f("doc_type", STR, "rectification_bulletin, feedback_notice, work_plan, work_summary, round_summary, rules or other", Combine.FIRST),
    _f("title", STR, "the document's own title line as written (NFKC), empty if it has none", Combine.FIRST),
    _f("published_date", DATE, "publication date stated on the page or document (发布时间, 公文生成日期, dated signature)", Combine.FIRST),
    _f("doc_number", STR, "the document number (文号), e.g. 厦民〔2024〕51号", Combine.FIRST),
    _f("agency", STR, "the inspected (or reporting) unit with its place prefix, without 中共 and the party-body suffix", Combine.FIRST),
    _f("party_body", STR, "党组, 党委, 党工委, 党总支, 党支部 … of the inspected unit", Combine.FIRST),
    _f("province", STR, "province-level place of the unit (full official name)", Combine.FIRST),
    _f("city", STR, "prefecture-level place of the unit (full official name)", Combine.FIRST),
    _f("county", STR, "county-level place of the unit (full official name), empty for a city- or higher-level unit", Combine.FIRST),
    _f("inspector", STR, "the inspecting body normalised as level + ordinal + kind + 组, e.g. 县委第一巡察组", Combine.FIRST),
    _f("inspection_kind", STR, "巡视 (central/provincial) or 巡察 (city/county/internal)", Combine.FIRST),
    _f(
        "inspection_modes",
        LIST_STR,
        "modes named for this inspection: 常规, 专项, 机动, 回头看, 提级, 联动, 交叉; empty when none is named",
        Combine.LIST,
    ),
    _f("inspection_theme", STR, "the field of a 专项 inspection, e.g. 养老领域", Combine.FIRST),
    _f("inspection_round", STR, "the round as written, e.g. 十届市委第一轮", Combine.FIRST),
    _f("inspection_start", DATE, "first day of the on-site inspection (year carried over from context when omitted)"),
    _f("inspection_end", DATE, "last day of the on-site inspection (year carried over from context when omitted)"),
    _f("feedback_date", DATE, "day the inspection team fed back its findings (year carried over from context when omitted)"),
    _f("issue_aspects", INT, "number of aspects (方面) the findings are grouped in", unit="aspects"),
    _f("issues_total", INT, "number of problems fed back, as the document counts them", unit="problems"),
    _f("issues_refined", INT, "number of items after the unit split the problems finer (细化分解为N个)", unit="items"),
    _f("issues_completed", INT, "number stated as rectified / completed", unit="problems"),
    _f("issues_in_progress", INT, "number stated as still being rectified", unit="problems"),
    _f("issues_long_term", INT, "number stated as needing long-term effort", unit="problems"),
    _f("completion_rate", FLOAT, "stated completion rate as a fraction (96% -> 0.96)", unit="fraction"),
    _f("measures_total", INT, "number of rectification measures stated (整改措施N条)", unit="measures"),
    _f(
        "funds_recovered_cny",
        FLOAT,
        "sum of every stated amount recovered, refunded or clawed back (追回, 收回, 清退, 退还, 追缴, 挽回经济损失), in yuan, each distinct amount once, not what is owed or under way (应追回, 正在追缴) nor the parts listed after 其中; where a total is stated (累计追回…), that total: amounts in other sentences may be parts of it and are not added (empty when they come to more than it; warnings say which)",
        Combine.SUM,
        unit="CNY",
    ),
    _f(
        "rules_established",
        INT,
        "number of rules/systems/mechanisms stated as made or revised (新制定…5项、修订…3项 in one sentence: 8; what 其中 lists after a number is part of it, not added)",
        Combine.SUM_IN_SENTENCE,
        unit="rules",
    ),
    _f("people_talked", INT, "person-times of reminder/admonition talks (谈话提醒, 提醒谈话)", Combine.SUM_IN_SENTENCE, unit="person-times"),
    _f("people_disciplined", INT, "people given discipline, admonishment or organisational handling, when one number is stated", unit="people"),
    _f("phone", STR, "public supervision phone with its area code, as written", Combine.FIRST),
    _f("email", STR, "public supervision e-mail address", Combine.FIRST),
    _f("postcode", STR, "postcode of the supervision address", Combine.FIRST),
    _f("address", STR, "postal address (or 邮政信箱) for supervision, as written", Combine.FIRST),
)

DOCUMENT_COLUMNS: tuple[Column, ...] = (
    Column("doc_id", STR, "stable identifier: first 16 hex digits of the SHA-256 of the file's bytes"),
    Column(
        "source_path",
        STR,
        "the input path as given on the command line; for a capture in a web archive, the archive and the record (crawl.warc.gz#<urn:uuid:…>)",
    ),
    Column("source_url", STR, "the URL a web archive captured the document from (WARC-Target-URI); empty for a file"),
    Column("crawled_at", ArrowType.TIMESTAMP, "when the crawl captured it (WARC-Date, UTC)"),
    Column("http_last_modified", ArrowType.TIMESTAMP, "the Last-Modified date the web server sent with it (UTC)"),
    *DOCUMENT_FIELDS,
    Column(
        "units_listed",
        LIST_STR,
        "units a round's news or summary lists together as inspected or fed back to (分别向县民政局党组、县教育局党委反馈), each without its party body, as written; empty for a bulletin and where fewer than two are listed",
        combine=Combine.LIST,
    ),
    Column("source_site", STR, "the site a saved page names as its source (来源)", combine=Combine.FIRST),
    Column(
        "adcode", STR, "6-digit administrative division code of the unit's deepest place (county, else city, else province)", combine=Combine.FIRST
    ),
    Column(
        "place_evidence",
        STR,
        "what decided the place: agency (the unit's own name), title, unit_mention, address or phone_area_code",
        combine=Combine.FIRST,
    ),
    Column("admin_level", STR, "level of the inspected unit: central, province, city, county or township", combine=Combine.FIRST),
    Column(
        "sector",
        STR,
        "sector of the inspected unit from its name (civil_affairs, education, university, health, soe, township …)",
        combine=Combine.FIRST,
    ),
    Column(
        "funds_recovered_lower_bound",
        ArrowType.BOOL,
        "true when an amount summed into funds_recovered_cny is a lower bound (余/多) or approximate (约/近)",
    ),
    Column("text_length", INT, "characters in the normalised text", unit="chars"),
    Column("pipeline_version", STR, "version of the extraction pipeline that produced the row"),
    Column(
        "warnings",
        LIST_STR,
        "problems noticed while reading and extracting: bytes read as U+FFFD, values left out beside one, NUL padding cut off, what pypdf repaired in a PDF, PDF pages whose text layer is not text, conflicting mentions, stated counts that disagree, unresolved places",
    ),
)

FACT_COLUMNS: tuple[Column, ...] = (
    Column("doc_id", STR, "document the value belongs to (joins documents.doc_id)"),
    Column("field", STR, "documents column this value feeds, or measure_date / measure_amount / measure_count for values found inside a measure"),
    Column("value", STR, "the value in canonical string form (ISO date, integer, decimal yuan)"),
    Column("value_number", FLOAT, "the value as a number, for counts, rates and amounts"),
    Column("value_date", DATE, "the value as a date, for date fields"),
    Column("text", STR, "the exact text of the span (normalised text[char_start:char_end])"),
    Column("char_start", INT, "span start in the normalised text (texts.text)", unit="chars"),
    Column("char_end", INT, "span end (exclusive) in the normalised text", unit="chars"),
    Column("sentence", STR, "the sentence the span stands in"),
    Column("stage", STR, "pipeline component that produced the value (e.g. bm_dates_v1)"),
    Column("rule", STR, "the named rule that fired, so a value can be explained"),
    Column("status", STR, "stated (as written) or inferred (e.g. a year carried over from an earlier date)"),
    Column("exactness", STR, "exact, lower_bound (101万余元) or approximate (约, 近)"),
    Column("issue_seq", INT, "problem (issues.seq) whose measure the value was found in, empty outside the outline"),
    Column("measure_seq", INT, "measure (measures.measure_seq) the value was found in, empty outside measures"),
)

TEXT_COLUMNS: tuple[Column, ...] = (
    Column("doc_id", STR, "document identifier (joins documents.doc_id)"),
    Column("text", STR, "the normalised text every char_start/char_end points into"),
    Column(
        "offset_runs",
        LIST_INT,
        "map back to the decoded source text: flat triples (text start, source start, length) of runs where both advance together",
    ),
)

ISSUE_COLUMNS: tuple[Column, ...] = (
    Column("doc_id", STR, "document the problem belongs to (joins documents.doc_id)"),
    Column("seq", INT, "problem number within the document, in reading order from 1"),
    Column(
        "path",
        STR,
        "outline numbers leading to the problem, joined by / (e.g. 一/(一)/1); for a ledger's row, those of the heading above the table and the row's 序号 (or its place in the table)",
    ),
    Column("aspect", STR, "title of the aspect (方面) the problem is grouped under"),
    Column("heading", STR, "title of the heading directly above the problem, when it is not the aspect"),
    Column(
        "category",
        STR,
        "what kind of problem it is, from the codebook (docs/codebook.md): policy, ideology, responsibility, conduct, integrity, finance, personnel, grassroots, earlier_rectification or public_service; empty when no cue in its title or the headings above decides (facts field issue_category holds the cue)",
    ),
    Column("title", STR, "the problem's name without quotation marks and frame words (针对, 关于, 问题的整改进展情况)"),
    Column("status", STR, "completed, in_progress or long_term when the text states one beside the problem"),
    Column("n_measures", INT, "enumerated measures (一是, 二是 …) given under the problem; 0 for prose only", unit="measures"),
    Column("char_start", INT, "start of the problem's heading in the normalised text", unit="chars"),
    Column("char_end", INT, "end of the problem's section (its heading and body)", unit="chars"),
    Column("title_start", INT, "start of the title within the normalised text", unit="chars"),
    Column("title_end", INT, "end of the title within the normalised text", unit="chars"),
)

MEASURE_COLUMNS: tuple[Column, ...] = (
    Column("doc_id", STR, "document the measure belongs to (joins documents.doc_id)"),
    Column("issue_seq", INT, "problem the measure rectifies (joins issues.seq within doc_id)"),
    Column("measure_seq", INT, "measure number under its problem, from 1"),
    Column("ordinal", STR, "the ordinal as written (一 in 一是, ① for a numbered line); empty for a ledger's row of one measure, which has none"),
    Column("marker", STR, "the marker the measure opens with, as written (一是, ①); empty where no ordinal is written"),
    Column("label", STR, "the short phrase the measure opens with, e.g. 加强宣传力度"),
    Column("text", STR, "the measure's full text"),
    Column(
        "kind",
        STR,
        "what the measure does, from the codebook (docs/codebook.md): rules, accountability, money, training, checks, organisation or service; empty when no cue in it decides (facts field measure_kind holds the cue)",
    ),
    Column("char_start", INT, "start of the measure (at its 一是 marker) in the normalised text", unit="chars"),
    Column("char_end", INT, "end of the measure in the normalised text", unit="chars"),
)


CASE_COLUMNS: tuple[Column, ...] = (
    Column("case_id", STR, "stable identifier of the case: the unit and its first document"),
    Column(
        "agency", STR, "the inspected unit: a document's agency, or as a list names it (units_listed) where no document about it alone is in the run"
    ),
    Column("province", STR, "province of the unit, as its documents place it"),
    Column("city", STR, "city of the unit"),
    Column("county", STR, "county of the unit"),
    Column("admin_level", STR, "level of the unit from its name and place (as documents.admin_level): central, province, city, county or township"),
    Column("sector", STR, "sector of the unit from its name (as documents.sector)"),
    Column("inspector", STR, "the inspecting team, as its documents state it"),
    Column("inspection_round", STR, "the round, as written"),
    Column("inspection_kind", STR, "巡视 (central or provincial) or 巡察 (city, county or internal)"),
    Column("inspection_start", DATE, "first day of the on-site inspection, as a document of the case states it"),
    Column("inspection_end", DATE, "last day of the on-site inspection"),
    Column("feedback_date", DATE, "day the team fed back its findings"),
    Column("inspection_modes", LIST_STR, "modes named by any of its documents (常规, 专项, 回头看 …)"),
    Column("launch_doc_ids", LIST_STR, "news of the inspection's launch or of its team arriving (feedback notices without a feedback date)"),
    Column("feedback_doc_ids", LIST_STR, "news of the feedback"),
    Column("plan_doc_ids", LIST_STR, "the unit's rectification plans"),
    Column("bulletin_doc_ids", LIST_STR, "the unit's rectification bulletins, in order of publication"),
    Column("follow_up_doc_ids", LIST_STR, "bulletins or plans of a later 回头看 of the unit"),
    Column("summary_doc_ids", LIST_STR, "round summaries and news about several units that list this one"),
    Column("documents", INT, "documents linked into the case", unit="documents"),
    Column("bulletin_published_dates", LIST_DATE, "each bulletin's publication date, parallel to bulletin_doc_ids"),
    Column("days_feedback_to_first_bulletin", INT, "days from the feedback to the first bulletin's publication, where both are stated", unit="days"),
    Column("issues_total_by_bulletin", LIST_INT, "issues_total as each bulletin states it, parallel to bulletin_doc_ids", unit="problems"),
    Column("issues_completed_by_bulletin", LIST_INT, "issues_completed as each bulletin states it, parallel to bulletin_doc_ids", unit="problems"),
    Column("latest_bulletin_doc_id", STR, "the last bulletin published: the one comparisons count"),
    Column(
        "links",
        LIST_STR,
        "for each document linked: its doc_id, its role and what matched (the unit, stated values both give, or days from the feedback to its publication)",
    ),
    Column("notes", LIST_STR, "what kept a document from a case it might belong to (it fits several: none is guessed)"),
)

ERROR_COLUMNS: tuple[Column, ...] = (
    Column("source_path", STR, "the input path as given"),
    Column("stage", STR, "where it failed: ingest, a pipeline component, or write"),
    Column("error_kind", STR, "stable error code, e.g. E005_undecodable"),
    Column("message", STR, "what went wrong, in words"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "documents": DOCUMENT_COLUMNS,
    "facts": FACT_COLUMNS,
    "texts": TEXT_COLUMNS,
    "issues": ISSUE_COLUMNS,
    "measures": MEASURE_COLUMNS,
    "errors": ERROR_COLUMNS,
    "cases": CASE_COLUMNS,
}

TABLE_DESCRIPTIONS = {
    "documents": "one row per input document: the SCHEMA fields plus bookkeeping",
    "facts": "one row per extracted value, with the exact span and rule it came from",
    "texts": "the normalised text of every document, for looking spans up",
    "issues": "one row per problem the outline of a rectification bulletin lists: under its headings or, when they list none, in the rows of a ledger table (整改台账)",
    "measures": "one row per enumerated measure (一是, 二是 …) under a problem",
    "errors": "one row per input that could not be read or processed",
    "cases": "one row per inspection of one unit: the documents about it (launch and feedback news, plans, bulletins, a later 回头看, round summaries that list the unit) linked by what they state (cases.py)",
}

FIELDS_BY_NAME = {c.name: c for c in DOCUMENT_FIELDS}
# Columns whose values are assembled from facts (the scored fields and a few more).
EXTRACTED_COLUMNS: tuple[Column, ...] = tuple(c for c in DOCUMENT_COLUMNS if c.combine is not Combine.NONE)


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of one table, with column descriptions as field metadata.

    >>> arrow_schema("documents").field("inspection_start").type
    DataType(date32[day])
    >>> arrow_schema("facts").field("rule").metadata[b"description"][:14]
    b'the named rule'
    """
    import pyarrow as pa

    return pa.schema([c.field() for c in TABLES[table]], metadata={"description": TABLE_DESCRIPTIONS[table]})


def data_dictionary() -> str:
    """The data dictionary (docs/data_dictionary.md), generated from the tables above."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `src/bulletin_miner/schema.py` by `bulletin-miner dictionary`; do not edit by hand",
        "(a test fails when this file is stale). Every column's description is also in the Parquet",
        "field metadata (`pyarrow.parquet.read_schema(path).field(name).metadata`).",
        "",
    ]
    for table, columns in TABLES.items():
        lines += [f"## `{table}.parquet`", "", TABLE_DESCRIPTIONS[table], "", "| column | type | unit | description |", "|---|---|---|---|"]
        for c in columns:
            lines.append(f"| `{c.name}` | {c.type} | {c.unit} | {c.description} |")
        lines.append("")
    return "\n".join(lines)
