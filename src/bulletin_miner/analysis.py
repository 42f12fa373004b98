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

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd
import pyarrow.parquet as pq

from bulletin_miner import vocab
from bulletin_miner.schema import TABLES, arrow_schema

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
        """One row per inspection of one unit (cases.parquet), with the unit's
        level and sector and the year from its documents, and whether it has a
        bulletin yet (`bulletin_published`: False for feedback without one)."""
        cases = self.case_table.copy()
        docs = self.documents_with_keys().set_index("doc_id")
        first_doc = [
            next(iter([*(b or []), *(f or []), *(l or []), *(p or []), *(s or [])]), None)
            for b, f, l, p, s in zip(cases["bulletin_doc_ids"], cases["feedback_doc_ids"], cases["launch_doc_ids"], cases["plan_doc_ids"], cases["summary_doc_ids"])
        ]
        for key in ("admin_level", "sector", "year"):
            cases[key] = [docs[key].get(d, pd.NA) if d is not None else pd.NA for d in first_doc]
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

    def span_text(self, doc_id: str, start: int, end: int) -> str:
        """The normalised text of a span, to check a value against what the document says."""
        text = self.texts.loc[self.texts["doc_id"] == doc_id, "text"].iloc[0]
        return text[start:end]

    def source_span(self, doc_id: str, start: int, end: int) -> tuple[int, int]:
        """Where a span of the normalised text stands in the decoded source file."""
        from bulletin_miner.ingest.textnorm import source_span

        runs = self.texts.loc[self.texts["doc_id"] == doc_id, "offset_runs"].iloc[0]
        return source_span(list(runs), start, end)


def read_dataset(path: str | Path = "data/processed") -> Dataset:
    """Load the Parquet tables of an extraction run (empty tables where a file is missing)."""
    path = Path(path)
    frames = {}
    for table in TABLES:
        file = path / f"{table}.parquet"
        arrow = pq.read_table(file) if file.exists() else arrow_schema(table).empty_table()
        frames["case_table" if table == "cases" else table] = arrow.to_pandas(types_mapper=pd.ArrowDtype)
    return Dataset(**frames)


def _year(docs: pd.DataFrame) -> pd.Series:
    # the year the inspection cycle belongs to: feedback, else start of inspection, else publication
    year = pd.Series(pd.NA, index=docs.index, dtype="Int64")
    for column in ("published_date", "inspection_start", "feedback_date"):
        dates = pd.to_datetime(docs[column].astype("object"), errors="coerce")
        year = dates.dt.year.astype("Int64").where(dates.notna(), year)
    return year


def compare(dataset: Dataset, by: Sequence[str] = ("city",)) -> pd.DataFrame:
    """One row per group: documents, problems, completion, measures, money, rules, people, days.

    `completion_rate` is completed / found (refined items where stated) over
    the documents stating both;
    `days_feedback_to_report` is the median from feedback to publication.
    """
    unknown = [key for key in by if key not in GROUP_KEYS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {list(GROUP_KEYS)}")
    docs = dataset.documents_with_keys()
    listed = dataset.issues.groupby("doc_id").size().rename("problems_listed")
    enumerated = dataset.measures.groupby("doc_id").size().rename("measures_listed")
    docs = docs.join(listed, on="doc_id").join(enumerated, on="doc_id") if len(docs) else docs.assign(problems_listed=None, measures_listed=None)
    numeric = ["issues_total", "issues_completed", "measures_total", "funds_recovered_cny", "rules_established", "people_talked", "people_disciplined", "problems_listed", "measures_listed"]
    for column in numeric:
        docs[column] = pd.to_numeric(docs[column].astype("object"), errors="coerce")
    # completed counts refer to the refined items when the unit split the problems finer
    docs["issues_refined"] = pd.to_numeric(docs["issues_refined"].astype("object"), errors="coerce")
    found = docs["issues_refined"].where(docs["issues_refined"].notna(), docs["issues_total"])
    both = found.notna() & docs["issues_completed"].notna()
    docs["_found_with_completion"] = found.where(both)
    docs["_completed_with_found"] = docs["issues_completed"].where(both)
    published = pd.to_datetime(docs["published_date"].astype("object"), errors="coerce")
    feedback = pd.to_datetime(docs["feedback_date"].astype("object"), errors="coerce")
    docs["_days"] = (published - feedback).dt.days
    keys = list(by)
    for key in keys:
        docs[key] = docs[key].astype("object").where(docs[key].notna(), "(unknown)")
    if docs.empty:
        columns = keys + ["documents", "problems_found", "problems_listed", "completion_rate", "measures_stated", "measures_listed", "funds_recovered_cny", "rules_established", "people_talked", "people_disciplined", "days_feedback_to_report"]
        return pd.DataFrame(columns=columns)
    grouped = docs.groupby(keys, dropna=False)
    out = pd.DataFrame({
        "documents": grouped.size(),
        "problems_found": grouped["issues_total"].sum(min_count=1),
        "problems_listed": grouped["problems_listed"].sum(min_count=1),
        "completion_rate": grouped["_completed_with_found"].sum(min_count=1) / grouped["_found_with_completion"].sum(min_count=1),
        "measures_stated": grouped["measures_total"].sum(min_count=1),
        "measures_listed": grouped["measures_listed"].sum(min_count=1),
        "funds_recovered_cny": grouped["funds_recovered_cny"].sum(min_count=1),
        "rules_established": grouped["rules_established"].sum(min_count=1),
        "people_talked": grouped["people_talked"].sum(min_count=1),
        "people_disciplined": grouped["people_disciplined"].sum(min_count=1),
        "days_feedback_to_report": grouped["_days"].median(),
    }).reset_index()
    return out.sort_values(keys).reset_index(drop=True)
