"""The sweep report: ``report.html`` and ``charts/*.png`` for a sweep's results folder
(``sourcing sweep-report RESULTS``), drawn from its ``sweep.json`` and ``results.parquet``.

It shows the cost/concentration frontier (total cost against the frontier measure the sweep
file names, by default China's share of its most dependent material, with the Pareto frontier,
and total cost against each swept country cap), a tornado chart for one-at-a-time designs, one
chart per varied parameter (total cost and the measure against it), and tables: points by
status, the cheapest and dearest points, the frontier's points and the points without a plan
("these caps cannot be met" is an answer too). A figure that is the same at every point with a
plan is said in words, never drawn as a flat line.

The figures come from :mod:`optimizer.reporting.sweep_analysis` (usable from Python without the
page), the charts from :mod:`optimizer.reporting.sweep_charts` and
:mod:`optimizer.reporting.sweep_parameter_charts`; the page is built from the parts of
:mod:`optimizer.reporting.kit`, so it is as self-contained and deterministic as the plan report.
"Total cost" is the solver's objective: it includes the penalty on demand left unmet, so a plan
with a shortfall is dear for that reason; the charts ring such plans.
"""

from __future__ import annotations

import html
import re
import zlib
from pathlib import Path

import pandas as pd

from optimizer.reporting.charts import render_chart
from optimizer.reporting.kit import (
    CHARTS_FOLDER,
    NO_DATA,
    Chart,
    Section,
    facts,
    figure_html,
    html_table,
    page,
    paragraph,
    write_report,
)
from optimizer.reporting.sweep_analysis import (
    TornadoBar,
    cheapest_and_dearest,
    constant_cost,
    frontier,
    status_counts,
    tornado_bars,
)
from optimizer.reporting.sweep_charts import (
    cap_caption,
    draw_cap,
    draw_frontier,
    draw_tornado,
    frontier_caption,
    frontier_sentence,
    tornado_caption,
)
from optimizer.reporting.sweep_marks import no_plan_settings_sentence
from optimizer.reporting.sweep_parameter_charts import (
    draw_parameter,
    flat_sentence,
    parameter_caption,
)
from optimizer.reporting.sweep_results import (
    COST,
    GRID,
    LHS,
    OAT,
    SHORTFALL,
    Measure,
    SweepResults,
    distinct_values,
    is_finite,
    million,
    million_change,
    setting,
)
from optimizer.sweep.point_metrics import COUNTRY_SHARE, FOREIGN_SHARE, HHI

SHOWN_ROWS = 25  # rows of the frontier and no-plan tables; results.csv holds every row
SETTING_COLUMNS = 3  # more varied parameters than this are named in one "Settings" column
SINGLE_STEMS = ("frontier", "tornado")
STEM_PREFIXES = ("cap-", "line-")
PLAIN_NAME = re.compile(r"[a-z0-9_]+")  # a sweep file's parameter names (sweep.json may differ)


def write_sweep_report(folder: Path) -> Path:
    """``folder/report.html`` and ``folder/charts/*.png`` for a sweep results folder; the HTML
    path."""
    folder = Path(folder)
    results = SweepResults.from_folder(folder)
    charts, sections = _sections(results)
    document = page(
        title=f"Sweep: {results.name}",
        header=_header(results),
        sections=sections,
        footer="Drawn by `sourcing sweep-report` from this folder's sweep.json and "
        "results.parquet (the same rows as results.csv), where every figure can be traced.",
    )
    return write_report(folder, charts, document, _earlier_stems(folder))


def _earlier_stems(folder: Path) -> list[str]:
    """Charts a sweep report may have written here before (removed unless drawn again)."""
    chart_folder = folder / CHARTS_FOLDER
    if not chart_folder.is_dir():
        return []
    return [
        path.stem
        for path in chart_folder.glob("*.png")
        if path.stem in SINGLE_STEMS or path.stem.startswith(STEM_PREFIXES)
    ]


def _sections(results: SweepResults) -> tuple[list[Chart], list[Section]]:
    charts: list[Chart | None] = []
    frontier_chart = render_chart(
        "frontier",
        f"Total cost against {results.measure.label}, with the Pareto frontier",
        frontier_caption(results) if len(results.measured) else "",
        lambda: draw_frontier(results),
    )
    body = figure_html(frontier_chart, frontier_sentence(results))
    charts.append(frontier_chart)
    if results.design != OAT:  # in a one-at-a-time design the cap's own chart shows this
        for cap in results.caps:
            chart = render_chart(
                f"cap-{_stem(cap.name)}",
                f"Total cost against the cap {cap.name}",
                cap_caption(results, cap),
                lambda cap=cap: draw_cap(results, cap),
            )
            charts.append(chart)
            body += figure_html(chart, _no_cost_sentence(results, f"against {cap.name}"))
    body += "<h3>Points on the frontier</h3>" + _frontier_table(results)
    sections = [
        Section("Points by status", _status_table(results)),
        Section("Cost and concentration", body),
    ]
    if results.design == OAT:
        bars = tornado_bars(results.table, results.parameters)
        tornado = render_chart(
            "tornado",
            "Tornado chart: the range of total cost over each parameter's values",
            tornado_caption(bars) if bars else "",
            lambda: draw_tornado(bars),
        )
        charts.append(tornado)
        missing = (
            _no_cost_sentence(results, "for the tornado")
            if any(bar.costs for bar in bars)
            else "The base point has no plan and no other point has one."
        )
        sections.append(Section("Tornado", figure_html(tornado, missing) + _tornado_table(bars)))
    sections.append(Section("Each parameter", _parameter_body(results, charts)))
    sections += [
        Section("Cheapest and dearest points", _extremes_table(results)),
        Section("Points without a plan", _no_plan_body(results)),
        Section("Parameters", _parameters_table(results)),
    ]
    return [chart for chart in charts if chart is not None], sections


def _stem(name: str) -> str:
    """A parameter's name as part of a chart's file name: as it is when it is a name a sweep
    file allows, else its letters and digits and a checksum (sweep.json is read as found, and
    a name such as ../x must not become a path)."""
    if PLAIN_NAME.fullmatch(name):
        return name
    plain = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:40]
    return f"{plain}_{zlib.crc32(name.encode('utf-8')):08x}"


def _no_cost_sentence(results: SweepResults, what: str) -> str:
    """Why a chart of total cost is not drawn: no plan, or every plan costs the same."""
    cost = constant_cost(results)
    if results.solved.empty or cost is None:
        return f"No point has a plan: no cost to draw {what}."
    return (
        f"Every point with a plan costs USD {million(cost)} million: no parameter moves the "
        "cost in this sweep, so there is no chart."
    )


def _parameter_body(results: SweepResults, charts: list) -> str:
    varied = results.varied
    if not varied:
        return paragraph("No parameter takes more than one value.", "note")
    body = ""
    flat = flat_sentence(results).strip()
    for parameter in varied:
        chart = render_chart(
            f"line-{_stem(parameter.name)}",
            f"Total cost and {results.measure.label} against {parameter.name}",
            parameter_caption(results, parameter),
            lambda parameter=parameter: draw_parameter(results, parameter),
        )
        charts.append(chart)
        missing = flat if len(results.solved) else ""
        body += f"<h3>{html.escape(parameter.name)}</h3>" + figure_html(
            chart, missing or f"No point has a plan: no cost to draw against {parameter.name}."
        )
    return body


def _header(results: SweepResults) -> str:
    manifest, table = results.manifest, results.table
    counts = status_counts(results)
    statuses = ", ".join(
        f"{n} {s}" for s, n in zip(counts["status"], counts["points"], strict=True)
    )
    expected = manifest.get("points")
    points = f"{len(table):,}"
    if isinstance(expected, int) and expected != len(table):
        points += f" of {expected:,} (the others are not solved yet)"
    solved, measure = results.solved, results.measure
    items = [
        ("Design", _design_text(results)),
        ("Points", f"{points}: {statuses}" if statuses else points),
        ("Base scenario", str(manifest.get("scenario", NO_DATA))),
        ("Sweep file", str(manifest.get("sweep_file", NO_DATA))),
        ("Concentration measure", measure.label),
    ]
    if len(solved):
        cheapest = solved.loc[solved[COST].idxmin()]
        items.append(
            (
                "Cheapest plan",
                f"USD {million(cheapest[COST])} million (point {int(cheapest['point'])})",
            )
        )
    if len(results.measured):
        least = frontier(results).iloc[0]
        items.append(
            (
                "Least concentrated plan",
                f"{measure.text(least[measure.column])}, USD {million(least[COST])} million "
                f"(point {int(least['point'])})",
            )
        )
    items.append(("Fingerprint", str(manifest.get("fingerprint", ""))[:12] or NO_DATA))
    description = str(manifest.get("description") or "")
    return (
        f"<h1>Sweep: {html.escape(results.name)}</h1>"
        + paragraph(
            description
            or f"A {results.design or 'parameter'} sweep of the base scenario: how the plan's "
            "total cost and its supply concentration move as the parameters below vary.",
            "description",
        )
        + facts(items)
    )


def _design_text(results: SweepResults) -> str:
    varied = results.varied
    if results.design == GRID and varied:
        sizes = " × ".join(str(results.table[p.name].nunique(dropna=False)) for p in varied)
        return f"grid, {sizes} values of {', '.join(p.name for p in varied)}"
    if results.design == OAT:
        return f"one-at-a-time: the base point, then {len(results.table) - 1} variations"
    if results.design == LHS:
        return f"Latin hypercube: {len(results.table)} samples of {len(varied)} parameters"
    return results.design or NO_DATA


def _status_table(results: SweepResults) -> str:
    table = results.table
    if table.empty:
        return paragraph("The results table has no points yet.", "note")
    rows = [
        [row.status, f"{row.points:,}", f"{row.share:.1%}", row.meaning]
        for row in status_counts(results).itertuples()
    ]
    rows.append((["all", f"{len(table):,}", "100.0%", ""], "total"))
    text = html_table(["Status", "Points", "Share", "What it means"], rows, "lrrl")
    groups = no_plan_settings_sentence(results).strip()
    return text + (paragraph(groups) if groups else "")


def _setting_columns(results: SweepResults) -> list[str]:
    """The columns naming a point: one per varied parameter when there are few, else one
    "Settings" column (in one-at-a-time designs, only the parameters off their base)."""
    varied = results.varied
    if results.design == OAT or len(varied) > SETTING_COLUMNS:
        return ["Settings"]
    return [p.name for p in varied]


def _parameter_cells(results: SweepResults, row) -> list[str]:
    varied = results.varied
    if results.design == OAT:
        moved = [p for p in varied if not p.at_base(pd.Series([row[p.name]]))[0]]
        return [", ".join(setting(p, row[p.name]) for p in moved) or "the base point"]
    if len(varied) > SETTING_COLUMNS:
        return [", ".join(setting(p, row[p.name]) for p in varied)]
    return [p.text(row[p.name]) for p in varied]


def _setting_align(results: SweepResults) -> str:
    columns = _setting_columns(results)
    return "l" if columns == ["Settings"] else "r" * len(columns)


def _extremes_table(results: SweepResults) -> str:
    solved = results.solved
    if solved.empty:
        return paragraph("No point has a plan.", "note")
    extremes = cheapest_and_dearest(results)
    groups = list(dict.fromkeys(extremes.index.get_level_values("group")))
    cheap = len(extremes.xs("cheapest", level="group"))
    dear = len(extremes) - cheap
    cheapest = float(solved[COST].min())
    measure, materials = results.measure, _materials(results.table)
    where = _where_header(measure)
    rows: list = []
    for group in groups:
        part = extremes.xs(group, level="group")
        rows.append(([group.capitalize()], "group"))
        for _, row in part.iterrows():
            rows.append(
                [
                    str(int(row["point"])),
                    *_parameter_cells(results, row),
                    million(row[COST]),
                    million_change(row[COST] - cheapest),
                    measure.text(row[measure.column]),
                    *([_where(row, measure, materials)] if where else []),
                    million(row.get(SHORTFALL)),
                ]
            )
    names = _setting_columns(results)
    return html_table(
        [
            "Point",
            *names,
            "Total cost",
            "Above the cheapest",
            _capital(measure.label),
            *([where] if where else []),
            "Shortfall penalty",
        ],
        rows,
        "r" + _setting_align(results) + "rrr" + ("l" if where else "") + "r",
        f"The {cheap} cheapest and {dear} dearest of the {len(solved)} points with a plan; "
        f"costs in USD million; {measure.label} over the horizon{_where_note(measure)}.",
    )


def _frontier_table(results: SweepResults) -> str:
    solved = results.solved
    if solved.empty:
        return paragraph("No point has a plan.", "note")
    front = frontier(results)
    if front.empty:
        return paragraph(f"No point with a plan has a figure of {results.measure.label}.", "note")
    cheapest = float(solved[COST].min())
    measure, materials = results.measure, _materials(results.table)
    where = _where_header(measure)
    shown = front.head(SHOWN_ROWS)
    rows = [
        [
            str(int(row["point"])),
            *_parameter_cells(results, row),
            measure.text(row[measure.column]),
            *([_where(row, measure, materials)] if where else []),
            million(row[COST]),
            million_change(row[COST] - cheapest),
        ]
        for _, row in shown.iterrows()
    ]
    names = _setting_columns(results)
    more = f" The first {len(shown)} of {len(front)} are listed." if len(front) > len(shown) else ""
    return html_table(
        [
            "Point",
            *names,
            _capital(measure.label),
            *([where] if where else []),
            "Total cost",
            "Above the cheapest",
        ],
        rows,
        "r" + _setting_align(results) + "r" + ("l" if where else "") + "rr",
        "The Pareto-optimal points, least concentrated first: each is the cheapest plan whose "
        f"{measure.label} is no higher; costs in USD million.{more}",
    )


def _no_plan_body(results: SweepResults) -> str:
    missing = results.without_plan
    if missing.empty:
        return paragraph("Every point has a plan.", "note")
    text = no_plan_settings_sentence(results).strip() or _ranges_sentence(results)
    shown = missing.head(SHOWN_ROWS)
    diagnosis = shown["diagnosis"] if "diagnosis" in shown.columns else pd.Series("", shown.index)
    rows = [
        [str(int(row["point"])), *_parameter_cells(results, row), row["status"], _short(why)]
        for (_, row), why in zip(shown.iterrows(), diagnosis, strict=True)
    ]
    names = _setting_columns(results)
    more = (
        f" The first {len(shown)} of {len(missing)} are listed; results.csv holds them all."
        if len(missing) > len(shown)
        else ""
    )
    return paragraph(text) + html_table(
        ["Point", *names, "Status", "Why (the diagnosis, shortened)"],
        rows,
        "r" + _setting_align(results) + "ll",
        "Infeasible points are an answer: no plan meets every cap, floor and capacity with "
        f"these settings.{more}",
    )


def _short(text, limit: int = 240) -> str:
    """A diagnosis cut to ``limit`` characters."""
    if not isinstance(text, str) or not text:
        return NO_DATA
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ranges_sentence(results: SweepResults) -> str:
    """For sampled designs: the range of each parameter over the points without a plan,
    against its range over every point."""
    missing, table = results.without_plan, results.table
    parts = []
    for p in results.varied:
        low, high = missing[p.name].min(), missing[p.name].max()
        all_low, all_high = table[p.name].min(), table[p.name].max()
        parts.append(
            f"{p.name} {p.text(low)} to {p.text(high)} (of {p.text(all_low)} to {p.text(all_high)})"
        )
    if not parts:
        return ""
    return f"The {len(missing)} points without a plan have " + "; ".join(parts) + "."


def _parameters_table(results: SweepResults) -> str:
    table = results.table
    rows = []
    for p in results.parameters:
        values = distinct_values(table[p.name])
        shown = (
            ", ".join(p.text(v) for v in values)
            if len(values) <= 8
            else f"{len(values):,} values, {p.text(values[0])} to {p.text(values[-1])}"
        )
        rows.append([p.name, p.path, p.mode, p.text(p.base), shown])
    if not rows:
        return paragraph("sweep.json lists no parameters found in the results table.", "note")
    return html_table(
        ["Name", "Path", "Mode", "Base", "Values in the results"],
        rows,
        "lllrl",
        "set: each value replaces the matched cells; factor: multiplies them (×1 is the base).",
    )


def _tornado_table(bars: list[TornadoBar]) -> str:
    rows = []
    for bar in bars:
        p = bar.parameter
        rows.append(
            [
                p.name,
                p.text(bar.low_value) if bar.costs else NO_DATA,
                million(bar.low),
                p.text(bar.high_value) if bar.costs else NO_DATA,
                million(bar.high),
                million(bar.width) if bar.costs else NO_DATA,
                ", ".join(f"{p.text(v)} ({s})" for v, s in bar.missing) or NO_DATA,
            ]
        )
    return html_table(
        [
            "Parameter",
            "Cheapest at",
            "USD million",
            "Dearest at",
            "USD million",
            "Range USD million",
            "No plan at",
        ],
        rows,
        "lrrrrrl",
        "The bars' ends: the cheapest and dearest of each parameter's values, the others at "
        "their base.",
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _where_header(measure: Measure) -> str | None:
    """The heading of the column that says where a point's measure is reached (None: the
    measure names its material, so the column would say nothing)."""
    if measure.kind in (COUNTRY_SHARE, HHI):
        return None if measure.material else "Material"
    return "Held by"


def _where_note(measure: Measure) -> str:
    header = _where_header(measure)
    if header == "Material":
        return " (of that material)"
    if header == "Held by":
        return " (held by that country, of those materials)"
    return ""


def _where(row, measure: Measure, materials: list[str]) -> str:
    """Where a point's measure is reached: the materials (and for the largest and the largest
    foreign share, the country holding it)."""
    value = row.get(measure.column)
    if not is_finite(value):
        return NO_DATA
    if measure.kind == COUNTRY_SHARE:
        columns = {m: f"share_{m}_{measure.country}" for m in materials}
    elif measure.kind == HHI:
        columns = {m: f"hhi_{m}" for m in materials}
    elif measure.kind == FOREIGN_SHARE:
        columns = {m: f"foreign_share_{m}" for m in materials}
    else:
        return _held_by(row, materials)
    if measure.material:
        columns = {measure.material: columns.get(measure.material, "")}
    tolerance = 10.0**-measure.decimals
    reached = [
        m for m, column in columns.items() if abs(_number(row.get(column)) - value) <= tolerance
    ]
    if measure.kind != FOREIGN_SHARE:
        return _listed(reached)
    by_country: dict[str, list[str]] = {}
    for material in reached:
        by_country.setdefault(str(row.get(f"foreign_country_{material}", "?")), []).append(material)
    return "; ".join(f"{c} ({_listed(held)})" for c, held in by_country.items()) or NO_DATA


def _number(value) -> float:
    return float(value) if is_finite(value) else 0.0  # a country supplying none: a share of 0


def _listed(materials: list[str]) -> str:
    if not materials:
        return NO_DATA
    return ", ".join(materials) if len(materials) <= 2 else f"{len(materials)} materials"


def _held_by(row, materials: list[str]) -> str:
    """Which country holds the largest share, and of which materials."""
    shares = {m: row.get(f"top_share_{m}") for m in materials}
    shares = {m: float(s) for m, s in shares.items() if is_finite(s)}
    if not shares:
        return NO_DATA
    largest = max(shares.values())
    top = [m for m, s in shares.items() if s >= largest - 1e-9]
    by_country: dict[str, list[str]] = {}
    for material in top:
        by_country.setdefault(str(row.get(f"top_country_{material}", "?")), []).append(material)
    parts = []
    for country, held in by_country.items():
        shown = ", ".join(held) if len(held) <= 2 else f"{len(held)} materials"
        parts.append(f"{country} ({shown})")
    return "; ".join(parts)


def _materials(table: pd.DataFrame) -> list[str]:
    """The materials the results table has a top share of."""
    return [c.removeprefix("top_share_") for c in table.columns if c.startswith("top_share_")]
