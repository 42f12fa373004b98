"""A single self-contained HTML page of charts over an extracted dataset.

plotly.js is inlined once, so the page opens offline; each chart is a
plotly figure. Every chart says when it has nothing to show. The words are
Chinese, each with the column it shows beside it (resources/report.yml), and
the page names a CJK font stack, so glyphs draw wherever such a font is
installed.
"""

from __future__ import annotations

import functools
import html
from pathlib import Path

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.offline

from bulletin_miner import vocab
from bulletin_miner.analysis import Dataset, compare, compare_summaries
from bulletin_miner.show import FONT_STACK

CHARTS = 8  # the figures `figures` draws, whatever the data


@functools.lru_cache(maxsize=1)
def _words() -> dict:
    return vocab.load("report")


def _stacked_counts(rows: pd.DataFrame, bar: str, stack: str, count: str, title: str, axis: dict[str, str]) -> go.Figure:
    """A horizontal bar for each value of `bar`, stacked by `stack`: how many rows hold each pair."""
    data = rows.groupby([bar, stack]).size().reset_index(name=count)
    return px.bar(data, x=count, y=bar, color=stack, orientation="h", title=title, labels={key: axis[key] for key in (count, bar, stack)})


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title=title,
        annotations=[{"text": _words()["empty"], "showarrow": False, "font": {"size": 16}}],
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return fig


def _labels(series: pd.Series) -> pd.Series:
    """A column of labels as plotly can group them: plain strings, a missing
    value shown as missing (pd.NA in a group raises inside plotly)."""
    return series.astype("object").where(series.notna(), _words()["missing"]).astype(str)


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column].astype("object"), errors="coerce")


def _named(series: pd.Series, names: dict[str, str]) -> pd.Series:
    """Codes shown by their Chinese names, the code beside (作风建设与中央八项规定精神 (conduct))."""
    return _labels(series.astype("object").map(lambda code: f"{names[code]} ({code})" if code in names else code))


def _codebook_names() -> tuple[dict[str, str], dict[str, str]]:
    from bulletin_miner.stages.codebook import codebook

    book = codebook()
    return ({e.id: e.name for e in book.categories.entries.values()}, {e.id: e.name for e in book.kinds.entries.values()})


def figures(ds: Dataset) -> list[go.Figure]:
    words = _words()
    title, axis = words["titles"], words["axes"]
    docs = ds.documents_with_keys()
    docs["unit"] = _labels(docs["agency"].astype("object").where(docs["agency"].notna(), docs["source_path"].astype("object")))
    cases = ds.cases()
    counted = set(cases["latest_bulletin_doc_id"].dropna().astype(str)) if len(cases) else set()
    category_names, kind_names = _codebook_names()
    figs: list[go.Figure] = []

    # 1. completion by unit: completed / found (refined items where stated)
    found = _numeric(docs, "issues_refined").where(_numeric(docs, "issues_refined").notna(), _numeric(docs, "issues_total"))
    rate = _numeric(docs, "issues_completed") / found
    data = pd.DataFrame({"unit": docs["unit"], "completion": rate, "found": found}).dropna(subset=["completion"])
    figs.append(
        px.bar(
            data.sort_values("completion"),
            x="completion",
            y="unit",
            orientation="h",
            hover_data=["found"],
            title=title["completion"],
            labels={"completion": axis["completion"], "unit": axis["unit"], "found": axis["found"]},
            range_x=[0, max(1.0, float(data["completion"].max()))],
        )
        if len(data)
        else _empty(title["completion"])
    )

    # 2. funds recovered by year and place
    data = pd.DataFrame(
        {"year": docs["year"].astype("string"), "place": _labels(docs["city"]), "yuan": _numeric(docs, "funds_recovered_cny")}
    ).dropna(subset=["yuan", "year"])
    fig = (
        px.bar(
            data.groupby(["year", "place"], as_index=False)["yuan"].sum(),
            x="year",
            y="yuan",
            color="place",
            barmode="group",
            title=title["funds"],
            labels={"year": axis["year"], "place": axis["place"], "yuan": axis["yuan"]},
        )
        if len(data)
        else _empty(title["funds"])
    )
    fig.update_xaxes(type="category")  # years are labels, not a continuous scale
    figs.append(fig)

    # 3. problems per aspect
    issues = ds.issues_with_documents()
    if len(issues):
        per_aspect = (
            issues.assign(aspect=_labels(issues["aspect"]), agency=_labels(issues["agency"]))
            .groupby(["aspect", "agency"])
            .size()
            .reset_index(name="problems")
        )
        top = per_aspect.groupby("aspect")["problems"].sum().nlargest(20).index
        per_aspect = per_aspect[per_aspect["aspect"].isin(top)]
        per_aspect["aspect"] = per_aspect["aspect"].str.slice(0, 30)
        figs.append(
            px.bar(
                per_aspect,
                x="problems",
                y="aspect",
                color="agency",
                orientation="h",
                title=title["aspects"],
                labels={"problems": axis["problems"], "aspect": axis["aspect"], "agency": axis["unit"]},
            )
        )
    else:
        figs.append(_empty(title["aspects"]))

    # 4. time from inspection to report
    end = pd.to_datetime(docs["inspection_end"].astype("object"), errors="coerce")
    feedback = pd.to_datetime(docs["feedback_date"].astype("object"), errors="coerce")
    published = pd.to_datetime(docs["published_date"].astype("object"), errors="coerce")
    stages = (
        pd.DataFrame(
            {
                "unit": docs["unit"],
                words["intervals"]["end_to_feedback"]: (feedback - end).dt.days,
                words["intervals"]["feedback_to_report"]: (published - feedback).dt.days,
            }
        )
        .melt(id_vars="unit", var_name="interval", value_name="days")
        .dropna(subset=["days"])
    )
    figs.append(
        px.bar(
            stages,
            x="days",
            y="unit",
            color="interval",
            orientation="h",
            title=title["intervals"],
            labels={"days": axis["days"], "unit": axis["unit"], "interval": axis["interval"]},
        )
        if len(stages)
        else _empty(title["intervals"])
    )

    # 5. problems by category and the unit's level: each inspection once, by its latest bulletin
    listed = issues[issues["doc_id"].astype(str).isin(counted)] if len(issues) else issues
    if len(listed):
        data = pd.DataFrame(
            {"category": _named(listed["category"], category_names), "admin_level": _named(listed["admin_level"], words["admin_levels"])}
        )
        figs.append(_stacked_counts(data, "category", "admin_level", "problems", title["categories"], axis))
    else:
        figs.append(_empty(title["categories"]))

    # 6. measure kinds by the category of the problem they answer
    measures = ds.measures_with_issues()
    if len(measures) and counted:
        measures = measures[measures["doc_id"].astype(str).isin(counted)]
        categories = ds.issues[["doc_id", "seq", "category"]].rename(columns={"seq": "issue_seq"})
        measures = measures.merge(categories, on=["doc_id", "issue_seq"], how="left")
    if len(measures) and counted:
        data = pd.DataFrame({"category": _named(measures["category"], category_names), "kind": _named(measures["kind"], kind_names)})
        figs.append(_stacked_counts(data, "category", "kind", "measures", title["kinds"], axis))
    else:
        figs.append(_empty(title["kinds"]))

    # 7. days from feedback to the first bulletin, per inspection
    if len(cases):
        days = _numeric(cases, "days_feedback_to_first_bulletin")
        data = pd.DataFrame({"unit": _labels(cases["agency"]), "days": days}).dropna(subset=["days"])
    else:
        data = pd.DataFrame()
    figs.append(
        px.bar(
            data.sort_values("days"), x="days", y="unit", orientation="h", title=title["delay"], labels={"days": axis["days"], "unit": axis["unit"]}
        )
        if len(data)
        else _empty(title["delay"])
    )

    # 8. inspections fed back with no bulletin yet, by feedback date
    if len(cases):
        waiting = cases[[bool(len(f)) and not len(b) for f, b in zip(cases["feedback_doc_ids"], cases["bulletin_doc_ids"], strict=True)]]
        data = pd.DataFrame(
            {
                "unit": _labels(waiting["agency"]),
                "feedback_date": pd.to_datetime(waiting["feedback_date"].astype("object"), errors="coerce"),
                "inspector": _labels(waiting["inspector"]),
            }
        ).dropna(subset=["feedback_date"])
    else:
        data = pd.DataFrame()
    figs.append(
        px.scatter(
            data,
            x="feedback_date",
            y="unit",
            color="inspector",
            title=title["waiting"],
            labels={"feedback_date": axis["feedback_date"], "unit": axis["unit"], "inspector": axis["inspector"]},
        )
        if len(data)
        else _empty(title["waiting"])
    )
    for fig in figs:
        fig.update_layout(font_family=FONT_STACK)
    return figs


def _table(frame: pd.DataFrame, keep_float: tuple[str, ...]) -> str:
    """A comparison as an HTML table, its columns named in Chinese with the column beside."""
    words = _words()
    if not len(frame):
        return f"<p>{html.escape(words['empty'])}</p>"
    shown = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column == "admin_level":
            values = _named(values, words["admin_levels"])
        elif column in keep_float:
            values = pd.to_numeric(values, errors="coerce").map(
                lambda v, column=column: "—" if pd.isna(v) else (f"{v:.0%}" if column == "completion_rate" else f"{v:,.0f}")
            )
        elif pd.api.types.is_numeric_dtype(values):
            values = pd.to_numeric(values, errors="coerce").map(lambda v: "—" if pd.isna(v) else f"{int(v):,}")
        shown[words["columns"].get(column, column)] = values.astype("object")
    return shown.to_html(index=False, na_rep="—", classes="summary")


def render(ds: Dataset) -> str:
    """The report as one HTML string (plotly.js inlined: opens offline)."""
    words = _words()
    keep_float = ("completion_rate", "days_feedback_to_report", "funds_recovered_cny")
    summary = _table(compare(ds, by=["admin_level"]), keep_float)
    summaries = compare_summaries(ds, by=["admin_level"])
    apart = f"<h2>{html.escape(words['titles']['summaries'])}</h2>{_table(summaries, keep_float)}" if len(summaries) else ""
    charts = "\n".join(
        f'<section class="chart">{fig.to_html(full_html=False, include_plotlyjs=False, default_height="420px")}</section>' for fig in figures(ds)
    )
    counts = words["counts"].format(documents=len(ds.documents), inspections=len(ds.case_table), problems=len(ds.issues), measures=len(ds.measures))
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>bulletin_miner report</title>
<style>body{{font-family:{FONT_STACK};margin:2em;max-width:1100px}} table.summary{{border-collapse:collapse;font-size:13px}}
table.summary td,table.summary th{{border:1px solid #ccc;padding:3px 6px}} section.chart{{margin:2em 0}}</style>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script></head>
<body><h1>{html.escape(words["heading"])}: {html.escape(counts)}</h1>
<h2>{html.escape(words["titles"]["summary"])}</h2>{summary}
{apart}
{charts}
<p><small>{html.escape(words["errors"].format(errors=len(ds.errors)))}</small></p>
</body></html>"""


def write_report(ds: Dataset, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(render(ds), encoding="utf-8")
    tmp.replace(out)
    return out
