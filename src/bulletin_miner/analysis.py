"""The dataset for analysts: tables as pandas DataFrames, joins and group comparisons.

>>> import tempfile, bulletin_miner as bm
>>> out = tempfile.mkdtemp()
>>> _ = bm.extract_paths(["data/raw"], out, workers=1)
>>> ds = bm.read_dataset(out)
>>> len(ds.documents), str(ds.documents["inspection_start"].dtype)
(5, 'date32[day][pyarrow]')
>>> first = ds.issues_with_documents().iloc[0]
>>> first["agency"], int(first["year"]), first["title"]
('三门县民政局', 2024, '老年人福利政策落实有差距')
>>> table = bm.compare(ds, by=["city"])
>>> row = table.set_index("city").loc["沧州市"]
>>> int(row["documents"]), int(row["problems_found"]), int(row["problems_listed"])
(1, 28, 27)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from bulletin_miner import vocab
from bulletin_miner.schema import TABLES, arrow_schema
from bulletin_miner.store import table_source

GROUP_KEYS = ("admin_level", "province", "city", "sector", "year", "inspector_level", "doc_type")


@dataclass(frozen=True)
class Dataset:
    """Every table of an extraction run, as DataFrames with Arrow-backed dtypes."""

    documents: pd.DataFrame
    facts: pd.DataFrame
    texts: pd.DataFrame
    issues: pd.DataFrame
    measures: pd.DataFrame
    errors: pd.DataFrame
    case_table: pd.DataFrame  # cases.parquet as written; `cases()` adds what analysts group by

    def cases(self) -> pd.DataFrame:
        """One row per inspection of one unit (cases.parquet), with the year
        of its first document and whether it has a bulletin yet
        (`bulletin_published`: False for feedback without one)."""
        cases = self.case_table.copy()
        docs = self.documents_with_keys().set_index("doc_id")
        first_doc = [
            next(iter([*(b or []), *(f or []), *(la or []), *(p or []), *(s or [])]), None)
            for b, f, la, p, s in zip(
                cases["bulletin_doc_ids"],
                cases["feedback_doc_ids"],
                cases["launch_doc_ids"],
                cases["plan_doc_ids"],
                cases["summary_doc_ids"],
                strict=True,
            )
        ]
        cases["year"] = [docs["year"].get(d, pd.NA) if d is not None else pd.NA for d in first_doc]
        cases["bulletin_published"] = [len(b) > 0 for b in cases["bulletin_doc_ids"]]
        return cases

    def documents_with_keys(self) -> pd.DataFrame:
        """Documents plus the derived grouping keys `year` and `inspector_level`."""
        docs = self.documents.copy()
        docs["year"] = _year(docs)
        level = vocab.load("lexicon")["inspector_level"]
        docs["inspector_level"] = docs["inspector"].astype("string").str.extract(level, expand=False).replace("", pd.NA)
        return docs

    def issues_with_documents(self) -> pd.DataFrame:
        """Each problem with its document's unit, place, sector, year and type."""
        keys = ["doc_id", "agency", "province", "city", "county", "admin_level", "sector", "year", "inspector", "doc_type"]
        # (the issues table brings each problem's codebook category and heading)
        return self.issues.merge(self.documents_with_keys()[keys], on="doc_id", how="left")

    def measures_with_issues(self) -> pd.DataFrame:
        """Each measure with the problem it rectifies."""
        issues = self.issues.rename(columns={"seq": "issue_seq", "title": "issue_title"})[["doc_id", "issue_seq", "issue_title", "path"]]
        return self.measures.merge(issues, on=["doc_id", "issue_seq"], how="left")

    def show(self, doc_id: str):
        """The document as a page (in a notebook, shown in place): its text with
        every value of `facts` highlighted and labelled with its field, the
        warnings at the top, its fields and outline beside."""
        from bulletin_miner.show import Highlight, document_page

        document = self.documents[self.documents["doc_id"] == doc_id]
        if document.empty:
            raise KeyError(f"no document {doc_id!r} in this dataset")
        row = {k: (None if _missing(v) else v) for k, v in document.iloc[0].items()}
        text = self.texts.loc[self.texts["doc_id"] == doc_id, "text"].iloc[0]
        facts = self.facts[self.facts["doc_id"] == doc_id]
        highlights = [
            Highlight(f, int(s), int(e), str(v))
            for f, s, e, v in zip(facts["field"], facts["char_start"], facts["char_end"], facts["value"], strict=True)
        ]

        def records(frame: pd.DataFrame) -> list[dict]:
            return [{k: (None if _missing(v) else v) for k, v in r.items()} for r in frame[frame["doc_id"] == doc_id].to_dict("records")]

        fields = {str(k): v for k, v in row.items() if k not in ("doc_id", "warnings")}
        page = document_page(
            title=str(row.get("title") or row.get("source_path")),
            source=f"{row.get('source_path')} ({doc_id})",
            text=text,
            highlights=highlights,
            fields=fields,
            warnings=list(row.get("warnings") or []),
            issues=records(self.issues),
            measures=records(self.measures),
        )
        return _Page(page)

    def span_text(self, doc_id: str, start: int, end: int) -> str:
        """The normalised text of a span, to check a value against what the document says."""
        text = self.texts.loc[self.texts["doc_id"] == doc_id, "text"].iloc[0]
        return text[start:end]

    def source_span(self, doc_id: str, start: int, end: int) -> tuple[int, int]:
        """Where a span of the normalised text stands in the decoded source file."""
        from bulletin_miner.ingest.textnorm import source_span

        runs = self.texts.loc[self.texts["doc_id"] == doc_id, "offset_runs"].iloc[0]
        return source_span(list(runs), start, end)


class _Page(str):
    """An HTML page that a notebook shows as a page (str for everything else)."""

    def _repr_html_(self) -> str:
        return str(self)


def _missing(value) -> bool:
    """NA or None for a scalar; a list or an array (empty or not) is a value."""
    if value is None:
        return True
    if isinstance(value, (str, bytes)) or hasattr(value, "__len__"):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def read_dataset(path: str | Path = "data/processed") -> Dataset:
    """Load the Parquet tables of an extraction run (empty tables where a file is missing)."""
    path = Path(path)
    frames = {}
    for table in TABLES:
        source = table_source(path, table)  # a local run's file, or a Dask run's folder of parts
        arrow = pq.read_table(source, schema=arrow_schema(table)) if source is not None else arrow_schema(table).empty_table()
        frames["case_table" if table == "cases" else table] = arrow.to_pandas(types_mapper=pd.ArrowDtype)
    return Dataset(**frames)


def _year(docs: pd.DataFrame) -> pd.Series:
    # the year the inspection cycle belongs to: feedback, else start of inspection, else publication
    year = pd.Series(pd.NA, index=docs.index, dtype="Int64")
    for column in ("published_date", "inspection_start", "feedback_date"):
        dates = pd.to_datetime(docs[column].astype("object"), errors="coerce")
        year = dates.dt.year.astype("Int64").where(dates.notna(), year)
    return year


FIGURES = [
    "problems_found",
    "problems_listed",
    "completion_rate",
    "measures_stated",
    "measures_listed",
    "funds_recovered_cny",
    "rules_established",
    "people_talked",
    "people_disciplined",
]
SUMMARY_TYPES = ("round_summary", "work_summary")
# The counts a document states or lists, as numbers (a group's sums are of these).
COUNT_COLUMNS = (
    "issues_total",
    "issues_refined",
    "issues_completed",
    "measures_total",
    "funds_recovered_cny",
    "rules_established",
    "people_talked",
    "people_disciplined",
    "problems_listed",
    "measures_listed",
)


def _with_counts(dataset: Dataset, docs: pd.DataFrame) -> pd.DataFrame:
    """Documents with their listed problems and measures, and numeric count columns."""
    listed = dataset.issues.groupby("doc_id").size().rename("problems_listed")
    enumerated = dataset.measures.groupby("doc_id").size().rename("measures_listed")
    docs = docs.join(listed, on="doc_id").join(enumerated, on="doc_id") if len(docs) else docs.assign(problems_listed=None, measures_listed=None)
    for column in COUNT_COLUMNS:
        docs[column] = pd.to_numeric(docs[column].astype("object"), errors="coerce")
    # completed counts refer to the refined items when the unit split the problems finer
    found = docs["issues_refined"].where(docs["issues_refined"].notna(), docs["issues_total"])
    both = found.notna() & docs["issues_completed"].notna()
    docs["_found_with_completion"] = found.where(both)
    docs["_completed_with_found"] = docs["issues_completed"].where(both)
    return docs


def _figures(grouped) -> dict[str, pd.Series]:
    return {
        "problems_found": grouped["issues_total"].sum(min_count=1),
        "problems_listed": grouped["problems_listed"].sum(min_count=1),
        "completion_rate": grouped["_completed_with_found"].sum(min_count=1) / grouped["_found_with_completion"].sum(min_count=1),
        "measures_stated": grouped["measures_total"].sum(min_count=1),
        "measures_listed": grouped["measures_listed"].sum(min_count=1),
        "funds_recovered_cny": grouped["funds_recovered_cny"].sum(min_count=1),
        "rules_established": grouped["rules_established"].sum(min_count=1),
        "people_talked": grouped["people_talked"].sum(min_count=1),
        "people_disciplined": grouped["people_disciplined"].sum(min_count=1),
    }


def _check_keys(by: Sequence[str]) -> list[str]:
    unknown = [key for key in by if key not in GROUP_KEYS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {list(GROUP_KEYS)}")
    return list(by)


def _unknown_as_label(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    for key in keys:
        frame[key] = frame[key].astype("object").where(frame[key].notna(), "(unknown)")
    return frame


def compare(dataset: Dataset, by: Sequence[str] = ("city",)) -> pd.DataFrame:
    """One row per group of inspections: each inspected unit's inspection
    counted once (a case, cases.parquet), by its latest bulletin.

    `inspections` counts the cases in the group, `with_bulletin` those with
    a bulletin out, and `documents` the bulletins the figures rest on (one a
    case). Feedback and launch news add no counts; round and work summaries,
    totals of many units, are compared apart (`compare_summaries`).
    `completion_rate` is completed / found (refined items where stated) over
    the bulletins stating both; `days_feedback_to_report` is the median, over
    cases, from the feedback to the first bulletin.
    """
    keys = _check_keys(by)
    columns = [*keys, "inspections", "with_bulletin", "documents", *FIGURES, "days_feedback_to_report"]
    cases = dataset.cases()
    if cases.empty:
        return pd.DataFrame(columns=columns)
    docs = _with_counts(dataset, dataset.documents_with_keys()).set_index("doc_id")
    # each case is grouped and counted by its latest bulletin, else by the first document it has
    counted = [
        latest if isinstance(latest, str) else next(iter([*(f or []), *(la or []), *(p or []), *(s or [])]), None)
        for latest, f, la, p, s in zip(
            cases["latest_bulletin_doc_id"].astype("object"),
            cases["feedback_doc_ids"],
            cases["launch_doc_ids"],
            cases["plan_doc_ids"],
            cases["summary_doc_ids"],
            strict=True,
        )
    ]
    rows = docs.reindex(counted).reset_index(drop=True)
    for key in ("admin_level", "province", "city", "sector"):  # the unit's, where the case knows it (a listed unit's news has none)
        known = cases[key].astype("object").notna().to_numpy()
        rows[key] = rows[key].astype("object").where(~known, cases[key].astype("object").to_numpy())
    has_bulletin = cases["latest_bulletin_doc_id"].notna().to_numpy()
    figures = list(_figures(rows.groupby(lambda _: 0)).keys())  # the columns the bulletins give
    for column in [*COUNT_COLUMNS, "_found_with_completion", "_completed_with_found"]:
        rows[column] = rows[column].where(has_bulletin)  # a case without a bulletin adds no counts
    rows["_bulletin"] = has_bulletin.astype(int)
    rows["_days"] = pd.to_numeric(cases["days_feedback_to_first_bulletin"].astype("object"), errors="coerce").to_numpy()
    rows = _unknown_as_label(rows, keys)
    grouped = rows.groupby(keys, dropna=False)
    out = pd.DataFrame(
        {
            "inspections": grouped.size(),
            "with_bulletin": grouped["_bulletin"].sum(),
            "documents": grouped["_bulletin"].sum(),
            **_figures(grouped),
            "days_feedback_to_report": grouped["_days"].median(),
        }
    ).reset_index()
    del figures
    return out[columns].sort_values(keys).reset_index(drop=True)


def compare_summaries(dataset: Dataset, by: Sequence[str] = ("city",)) -> pd.DataFrame:
    """Round summaries and work summaries by group: totals of many units each,
    kept apart from the inspections `compare` counts."""
    keys = _check_keys(by)
    docs = dataset.documents_with_keys()
    docs = docs[docs["doc_type"].astype("object").isin(SUMMARY_TYPES)]
    columns = [*keys, "documents", *FIGURES]
    if docs.empty:
        return pd.DataFrame(columns=columns)
    docs = _unknown_as_label(_with_counts(dataset, docs.copy()), keys)
    grouped = docs.groupby(keys, dropna=False)
    out = pd.DataFrame({"documents": grouped.size(), **_figures(grouped)}).reset_index()
    return out[columns].sort_values(keys).reset_index(drop=True)
