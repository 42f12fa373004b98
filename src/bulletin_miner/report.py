"""A single self-contained HTML page of charts over an extracted dataset.

plotly.js is inlined once, so the page opens offline; each chart is a
plotly figure. Every chart says when it has nothing to show.
"""
from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.offline

from bulletin_miner.analysis import Dataset, compare


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, annotations=[{"text": "no data stated in these documents", "showarrow": False, "font": {"size": 16}}], xaxis={"visible": False}, yaxis={"visible": False})
    return fig


MISSING = "(not stated)"


def _labels(series: pd.Series) -> pd.Series:
    """A column of labels as plotly can group them: plain strings, a missing
    value shown as missing (pd.NA in a group raises inside plotly)."""
    return series.astype("object").where(series.notna(), MISSING).astype(str)


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column].astype("object"), errors="coerce")


def figures(ds: Dataset) -> list[go.Figure]:
    docs = ds.documents_with_keys()
    docs["unit"] = _labels(docs["agency"].astype("object").where(docs["agency"].notna(), docs["source_path"].astype("object")))
    figs: list[go.Figure] = []

    # 1. completion by unit: completed / found (refined items where stated)
    found = _numeric(docs, "issues_refined").where(_numeric(docs, "issues_refined").notna(), _numeric(docs, "issues_total"))
    rate = _numeric(docs, "issues_completed") / found
    data = pd.DataFrame({"unit": docs["unit"], "completion": rate, "found": found}).dropna(subset=["completion"])
    title = "Completion rate by unit (completed / problems found)"
    figs.append(px.bar(data.sort_values("completion"), x="completion", y="unit", orientation="h", hover_data=["found"], title=title, range_x=[0, max(1.0, float(data["completion"].max()))]) if len(data) else _empty(title))

    # 2. funds recovered by year and place
    data = pd.DataFrame({"year": docs["year"].astype("string"), "place": _labels(docs["city"]), "yuan": _numeric(docs, "funds_recovered_cny")}).dropna(subset=["yuan", "year"])
    title = "Funds recovered by year and place (yuan)"
    fig = px.bar(data.groupby(["year", "place"], as_index=False)["yuan"].sum(), x="year", y="yuan", color="place", barmode="group", title=title) if len(data) else _empty(title)
    fig.update_xaxes(type="category")  # years are labels, not a continuous scale
    figs.append(fig)

    # 3. problems per aspect
    issues = ds.issues_with_documents()
    title = "Problems listed per aspect (top 20)"
    if len(issues):
        per_aspect = issues.assign(aspect=_labels(issues["aspect"]), agency=_labels(issues["agency"])).groupby(["aspect", "agency"]).size().reset_index(name="problems")
        top = per_aspect.groupby("aspect")["problems"].sum().nlargest(20).index
        per_aspect = per_aspect[per_aspect["aspect"].isin(top)]
        per_aspect["aspect"] = per_aspect["aspect"].str.slice(0, 30)
        figs.append(px.bar(per_aspect, x="problems", y="aspect", color="agency", orientation="h", title=title))
    else:
        figs.append(_empty(title))

    # 4. time from inspection to report
    end = pd.to_datetime(docs["inspection_end"].astype("object"), errors="coerce")
    feedback = pd.to_datetime(docs["feedback_date"].astype("object"), errors="coerce")
    published = pd.to_datetime(docs["published_date"].astype("object"), errors="coerce")
    stages = pd.DataFrame({
        "unit": docs["unit"],
        "inspection end → feedback": (feedback - end).dt.days,
        "feedback → report": (published - feedback).dt.days,
    }).melt(id_vars="unit", var_name="interval", value_name="days").dropna(subset=["days"])
    title = "Days from inspection to feedback to published report"
    figs.append(px.bar(stages, x="days", y="unit", color="interval", orientation="h", title=title) if len(stages) else _empty(title))
    return figs


def render(ds: Dataset) -> str:
    """The report as one HTML string (plotly.js inlined: opens offline)."""
    table = compare(ds, by=["admin_level", "city"])
    for column in table.columns:
        if column not in ("completion_rate", "days_feedback_to_report", "funds_recovered_cny", "admin_level", "city"):
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    charts = "\n".join(
        f'<section class="chart">{fig.to_html(full_html=False, include_plotlyjs=False, default_height="420px")}</section>'
        for fig in figures(ds)
    )
    summary = table.to_html(index=False, na_rep="—", float_format=lambda v: f"{v:,.2f}", classes="summary") if len(table) else "<p>No documents.</p>"
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>bulletin_miner report</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}} table.summary{{border-collapse:collapse;font-size:13px}}
table.summary td,table.summary th{{border:1px solid #ccc;padding:3px 6px}} section.chart{{margin:2em 0}}</style>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script></head>
<body><h1>Rectification bulletins: {len(ds.documents)} documents, {len(ds.issues)} problems, {len(ds.measures)} measures</h1>
<h2>By level and city</h2>{summary}
{charts}
<p><small>{html.escape(str(len(ds.errors)))} inputs could not be read (see errors.parquet).</small></p>
</body></html>"""


def write_report(ds: Dataset, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(render(ds), encoding="utf-8")
    tmp.replace(out)
    return out
