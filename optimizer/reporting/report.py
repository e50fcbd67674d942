"""HTML reports: ``report.html`` and its charts, for a result folder (``sourcing solve``) or a
comparison folder (``sourcing compare``).

``report.html`` is one self-contained file: the charts are embedded as ``data:`` URIs, the CSS
and the one small script are inline, and its Content-Security-Policy lets it load nothing else,
so it reads the same without a network. The charts are also written as PNG files under
``charts/``. Charts are drawn on matplotlib's Agg canvas directly (no pyplot, so never a GUI
backend and no figure left registered anywhere), in matplotlib's default style whatever the
user's matplotlibrc says, and without timestamps: writing the same folder twice gives
byte-identical files. Every country has one colour in every chart of every report.

The sweep report (:mod:`optimizer.reporting.sweep_report`) is built from the same parts:
``render_chart`` and ``new_figure`` draw, ``page``, ``Section``, ``html_table``, ``figure_html``, ``facts`` and
``paragraph`` compose the page, ``write_report`` writes it, and ``country_colour`` colours.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from optimizer.common.output_paths import write_file_atomic
from optimizer.inputs.settings import CAP_WINDOW_WORDS
from optimizer.results.compare import Comparison, PlanView, country_shares, load_comparison
from optimizer.results.compare_text import format_figure
from optimizer.results.summary_text import COST_LABELS, TIED_BELOW
from optimizer.results.tables import COST_COMPONENTS

REPORT_FILE = "report.html"
CHARTS_FOLDER = "charts"
PLAN_CHARTS = ("imports", "stock", "costs", "policy")
COMPARISON_CHARTS = ("costs", "shares", "concentration", "cover")

DPI = 150  # 8.6 inches wide: 1290 px, sharp on high-density screens at the report's ~1000 px
WIDTH_IN = 8.6
SHOWN_CAPS = 15  # costliest binding caps drawn; the table lists them all
SHOWN_OFFERS = 8
CAP_POLICY, FLOOR_POLICY, OFFER_POLICY = "country-share-cap", "stockpile-floor", "offer-price"

# One colour per country, everywhere. Countries not named here get one of OTHER_COLOURS from a
# hash of their code (zlib.crc32: the same in every process, unlike hash()).
COUNTRY_COLOURS = {
    "CN": "#e15759",
    "IN": "#f28e2b",
    "US": "#4e79a7",
    "JP": "#b07aa1",
    "MY": "#76b7b2",
    "RU": "#9c755f",
    "EE": "#edc948",
    "AU": "#59a14f",
    "VN": "#ff9da7",
    "MM": "#bab0ac",
    "BR": "#2ca02c",
    "CA": "#17becf",
    "KZ": "#8c564b",
    "LA": "#bcbd22",
    "TH": "#e377c2",
    "KR": "#393b79",
    "GB": "#7f7f7f",
    "FR": "#1f77b4",
    "DE": "#843c39",
    "ZA": "#637939",
}
OTHER_COLOURS = (
    "#1f77b4",
    "#2ca02c",
    "#9467bd",
    "#17becf",
    "#bcbd22",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#e6550d",
    "#31a354",
    "#de9ed6",
)
COST_COLOURS = {
    "purchase_usd": "#3b5b92",
    "tariff_usd": "#c9733a",
    "freight_usd": "#6a9f58",
    "holding_usd": "#8e6c8a",
    "shortfall_usd": "#c0392b",
    "processing_usd": "#2e86c1",
    "capital_usd": "#34495e",
    "contract_fixed_usd": "#b7950b",
    "take_or_pay_usd": "#d35400",
    "disposal_usd": "#7f8c8d",
    "sales_usd": "#27ae60",
}
PLAN_COLOURS = ("#1b4f72", "#d4a017", "#5b8c5a", "#8e44ad", "#a0522d", "#2e86c1", "#7f8c8d")
STOCK_COLOUR, TARGET_COLOUR, FLOOR_SHADE, SHORT_COLOUR = "#1b4f72", "#444444", "#dfe9f3", "#c0392b"
FLOOR_BAR, NO_DATA = "#5d6d7e", "–"
RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    # Names come from the input files: "$...$" in one is text, never mathtext (which failed the
    # whole report on a name such as $\foo{$).
    "text.parse_math": False,
}


def country_colour(country: str) -> str:
    """The colour of a country in every chart."""
    known = COUNTRY_COLOURS.get(country)
    return known or OTHER_COLOURS[zlib.crc32(country.encode("utf-8")) % len(OTHER_COLOURS)]


# ---------------------------------------------------------------------------------------------
# Entry points


def write_plan_report(folder: Path) -> Path:
    """``folder/report.html`` and ``folder/charts/*.png`` for a result folder; the HTML path."""
    folder = Path(folder)
    plan = PlanView.from_folder(folder)
    charts, sections = _plan_sections(plan)
    document = page(
        title=f"Sourcing plan: {plan.name}",
        header=_plan_header(plan),
        sections=sections,
        footer="Drawn by `sourcing report` from this result folder's summary.json and CSV "
        "tables (plan, stock, mix, constraints, policy_costs), where every figure can be traced.",
    )
    return _write(folder, charts, document)


def write_comparison_report(folder: Path) -> Path:
    """``folder/report.html`` and ``folder/charts/*.png`` for a comparison folder."""
    folder = Path(folder)
    comparison, plans = load_comparison(folder)
    charts, sections = _comparison_sections(comparison, plans)
    document = page(
        title="Plan comparison: " + " vs ".join(comparison.plans),
        header=_comparison_header(comparison),
        sections=sections,
        footer="Drawn by `sourcing report` from this comparison folder: compare.json and the "
        "plans' tables under plans/ (the same figures as compare.csv and compare_detail.csv).",
    )
    return _write(folder, charts, document)


# ---------------------------------------------------------------------------------------------
# Charts: drawing and writing


@dataclass(frozen=True)
class Chart:
    stem: str  # the file is charts/<stem>.png
    alt: str
    caption: str
    png: bytes
    width: int
    height: int

    @property
    def uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def render_chart(
    stem: str, alt: str, caption: str, draw: Callable[[], Figure | None]
) -> Chart | None:
    """Draw a figure in a fixed style and render it to PNG bytes (None: nothing to draw)."""
    with style.context("default"), mpl.rc_context(RC):
        fig = draw()
        if fig is None:
            return None
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        fig.clear()  # the figure is not registered with pyplot: nothing else holds it
    png = buffer.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk: the size as drawn
    return Chart(stem, alt, caption, png, width, height)


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _panels(fig: Figure, count: int, ncols: int) -> list:
    """``count`` axes in a grid; the grid's unused cells are hidden."""
    nrows = math.ceil(count / ncols)
    axes = list(fig.subplots(nrows, ncols, squeeze=False).flat)
    for ax in axes[count:]:
        ax.set_visible(False)
    return axes[:count]


def _columns(count: int) -> int:
    return 1 if count <= 2 else 2


def _number(value: float, _position=None) -> str:
    """Axis numbers: thousands separated, small values without trailing zeros."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.6g}"


def _millions(value: float, _position=None) -> str:
    return f"{value / 1e6:,.0f}" if abs(value) >= 1e7 else f"{value / 1e6:,.3g}"


def _usd_axis(ax, largest: float, unit: str) -> None:
    """An x axis in USD, thousand USD or million USD, whichever reads best."""
    scale, word = (1e6, " million") if largest >= 5e6 else (1e3, " thousand")
    if largest < 5e4:
        scale, word = 1.0, ""
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v / scale)))
    ax.set_xlabel(unit.replace("USD", "USD" + word, 1))


def _month_axis(ax, months: list[str]) -> None:
    """Months as positions 0..n-1, a labelled tick every 1, 2, 3, 6, 12 ... months."""
    count = len(months)
    step = next((s for s in (1, 2, 3, 6, 12, 24) if count / s <= 7), 60)
    ticks = list(range(0, count, step))
    ax.set_xticks(ticks, [months[i] for i in ticks])
    ax.set_xlim(-0.6, count - 0.4)
    ax.grid(False, axis="x")


def _column_bars(ax, x: np.ndarray, heights: np.ndarray, bottom: np.ndarray, colour: str):
    """Vertical bars as one collection (hundreds of separate rectangles draw slowly)."""
    shown = heights > 0
    left, low, high = x[shown] - 0.4, bottom[shown], bottom[shown] + heights[shown]
    corners = np.stack(
        [
            np.column_stack(p)
            for p in ((left, low), (left + 0.8, low), (left + 0.8, high), (left, high))
        ],
        axis=1,
    )
    ax.add_collection(PolyCollection(corners, facecolors=colour, edgecolors="none"))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _value_labels(ax, bars, texts: Sequence[str], horizontal: bool, **style_) -> None:
    """A label just past the end of each bar."""
    for bar, text in zip(bars, texts, strict=True):
        if horizontal:
            x, y = bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2
            ax.annotate(
                text,
                (x, y),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=7.5,
                **style_,
            )
        else:
            x, y = bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height()
            ax.annotate(
                text,
                (x, y),
                xytext=(0, 2),
                textcoords="offset points",
                va="bottom",
                ha="center",
                fontsize=7,
                **style_,
            )


def _write(folder: Path, charts: list[Chart], document: str) -> Path:
    return write_report(folder, charts, document, {*PLAN_CHARTS, *COMPARISON_CHARTS})


def write_report(folder: Path, charts: list[Chart], document: str, stems: Iterable[str]) -> Path:
    """``folder/charts/<stem>.png`` for each chart and ``folder/report.html``; charts named in
    ``stems`` but not drawn this time (left by an earlier run) are removed. The HTML path."""
    chart_folder = folder / CHARTS_FOLDER
    chart_folder.mkdir(parents=True, exist_ok=True)
    written = set()
    for chart in charts:
        write_file_atomic(chart_folder / f"{chart.stem}.png", chart.png)
        written.add(chart.stem)
    for stem in sorted(set(stems) - written):  # left by an earlier run
        (chart_folder / f"{stem}.png").unlink(missing_ok=True)
    path = folder / REPORT_FILE
    write_file_atomic(path, document.encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------
# Formatting


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _usd(value) -> str:
    return NO_DATA if _missing(value) else f"USD {value:,.0f}"


def _part(value: float, total: float) -> str:
    """A share of a total as a percentage; a small but nonzero part is not shown as 0.0%."""
    share = value / total
    return "<0.1%" if 0 < share < 0.0005 else f"{share:.1%}"


def _text(value) -> str:
    """A CSV cell as text: windows read back as 2026.0 become 2026 again; blanks are ''."""
    if _missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _signed(text: str) -> str:
    """A difference: a true minus sign, and nothing shown as +0."""
    if not re.search(r"[1-9]", text):
        return "0"
    return text.replace("-", "−")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _cost_label(key: str) -> str:
    return COST_LABELS.get(key, key.removesuffix("_usd"))


# ---------------------------------------------------------------------------------------------
# HTML


@dataclass(frozen=True)
class Section:
    heading: str
    body: str  # HTML


def html_table(columns: Sequence[str], rows: Sequence, align: str, caption: str = "") -> str:
    """A table of escaped text. ``align``: one letter per column, l or r. A row is a list of
    cells, or ``(cells, css_class)``; a row of one cell spans the table (a group heading)."""
    head = "".join(
        f'<th class="{"num" if a == "r" else "txt"}">{html.escape(c)}</th>'
        for c, a in zip(columns, align, strict=True)
    )
    body = []
    for row in rows:
        cells, css = row if isinstance(row, tuple) else (row, "")
        attribute = f' class="{css}"' if css else ""
        if len(cells) == 1:
            body.append(
                f'<tr{attribute}><th colspan="{len(columns)}">{html.escape(cells[0])}</th></tr>'
            )
            continue
        tds = "".join(
            f'<td class="{"num" if a == "r" else "txt"}">{html.escape(str(c))}</td>'
            for c, a in zip(cells, align, strict=True)
        )
        body.append(f"<tr{attribute}>{tds}</tr>")
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def figure_html(chart: Chart | None, missing: str) -> str:
    if chart is None:
        return f'<p class="note">{html.escape(missing)}</p>'
    return (
        f'<figure id="chart-{html.escape(chart.stem)}"><img src="{chart.uri}" '
        f'alt="{html.escape(chart.alt)}" '
        f'width="{chart.width}" height="{chart.height}">'
        f"<figcaption>{html.escape(chart.caption)}</figcaption></figure>"
    )


def facts(items: Sequence[tuple[str, str]]) -> str:
    cells = "".join(
        f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>" for k, v in items
    )
    return f'<dl class="facts">{cells}</dl>'


def paragraph(text: str, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<p{attribute}>{html.escape(text)}</p>" if text else ""


CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1f2933;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 40px; background: #fff; }
header h1 { margin: 0 0 4px; font-size: 26px; }
.description { margin: 0 0 16px; color: #52606d; max-width: 78ch; }
h2 { margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e4e7eb;
  font-size: 20px; }
h3 { margin: 22px 0 8px; font-size: 16px; }
nav { margin: 14px 0 0; font-size: 14px; }
nav a { color: #1b4f72; margin-right: 14px; text-decoration: none; }
nav a:hover { text-decoration: underline; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr));
  gap: 10px; margin: 0; }
.facts div { background: #f7f9fb; border: 1px solid #e4e7eb; border-radius: 6px;
  padding: 8px 12px; }
.facts dt { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #7b8794; }
.facts dd { margin: 2px 0 0; font-weight: 600; }
figure { margin: 8px 0 20px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eef0f2; }
figcaption { margin-top: 6px; color: #3e4c59; font-size: 14px; max-width: 90ch; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13.5px;
  font-variant-numeric: tabular-nums; }
caption { text-align: left; color: #52606d; padding-bottom: 4px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e7eb; }
thead th { background: #f0f2f5; border-bottom: 2px solid #cbd2d9; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.txt, th.txt { text-align: left; }
tr.total td { font-weight: 700; border-top: 2px solid #cbd2d9; }
tr.group th { text-align: left; background: #fafbfc; padding-top: 10px; }
.note { color: #52606d; }
.descriptions dt { font-weight: 600; margin-top: 6px; }
.descriptions dd { margin: 0 0 4px; color: #52606d; max-width: 90ch; }
footer { margin-top: 36px; color: #7b8794; font-size: 13px; }
@media print { body { background: #fff; } main { padding: 0; } }
""".strip()

# Counts the <img> elements that loaded and decoded (naturalWidth > 0), for a headless check.
SCRIPT = """
(function () {
  function count() {
    var rendered = 0;
    for (var i = 0; i < document.images.length; i += 1) {
      var image = document.images[i];
      if (image.complete && image.naturalWidth > 0) { rendered += 1; }
    }
    document.body.dataset.rendered = String(rendered);
  }
  if (document.readyState === "complete") { count(); } else {
    window.addEventListener("load", count);
  }
})();
""".strip()


def _csp_hash(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def page(title: str, header: str, sections: list[Section], footer: str) -> str:
    """The whole document: nothing but data: images, this CSS and this script may load."""
    policy = (
        f"default-src 'none'; img-src data:; style-src {_csp_hash(CSS)}; "
        f"script-src {_csp_hash(SCRIPT)}; base-uri 'none'; form-action 'none'"
    )
    nav = "".join(f'<a href="#{_slug(s.heading)}">{html.escape(s.heading)}</a>' for s in sections)
    body = "\n".join(
        f'<section id="{_slug(s.heading)}">\n<h2>{html.escape(s.heading)}</h2>\n{s.body}\n'
        "</section>"
        for s in sections
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
{header}
<nav>{nav}</nav>
</header>
{body}
<footer>{html.escape(footer)}</footer>
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""


_page = page  # the name the report tests use


# ---------------------------------------------------------------------------------------------
# The plan report


def _plan_header(plan: PlanView) -> str:
    summary = plan.summary
    costs = summary.get("costs_usd") or {}
    horizon = summary.get("horizon") or {}
    policy = summary.get("policy") or {}
    check = summary.get("check") or {}
    status = str(summary.get("status", "unknown"))
    if summary.get("has_plan"):
        status += "; re-check passed" if check.get("passed") else "; re-check FAILED"
    window = CAP_WINDOW_WORDS.get(policy.get("cap_window"), str(policy.get("cap_window", "")))
    cover = policy.get("stockpile_cover_months") or 0
    floor = f"{cover:g} months of demand from {policy.get('stockpile_from') or 'the start'}"
    shortfall = summary.get("shortfall_t") or {}
    size = summary.get("model_size") or {}
    items = [
        ("Status", status),
        ("Total cost", _usd(costs.get("total_usd"))),
        (
            "Horizon",
            f"{horizon.get('start', '?')} to {horizon.get('end', '?')} "
            f"({horizon.get('months', '?')} months)",
        ),
        ("Country caps", f"checked {window}; {summary.get('binding_caps', 0)} binding"),
        ("Stockpile floor", floor if cover else "none"),
        (
            "Shortfall",
            "none" if not shortfall else ", ".join(f"{m} {t:,.2f} t" for m, t in shortfall.items()),
        ),
        (
            "Solver",
            f"{summary.get('solver', '')} ({summary.get('algorithm', '')}); "
            f"{size.get('variables', 0):,} variables, {size.get('constraints', 0):,} rows",
        ),
    ]
    scenario = str(summary.get("scenario", plan.name))
    named = plan.name if scenario == plan.name else f"{plan.name} (scenario {scenario})"
    return (
        f"<h1>Sourcing plan: {html.escape(named)}</h1>"
        + paragraph(summary.get("description", ""), "description")
        + facts(items)
    )


def _plan_sections(plan: PlanView) -> tuple[list[Chart], list[Section]]:
    if not plan.summary.get("has_plan") or "plan" not in plan.tables:
        diagnosis = plan.summary.get("diagnosis") or []
        items = "".join(f"<li>{html.escape(line)}</li>" for line in diagnosis)
        body = paragraph(
            f"The solve ended with status {plan.summary.get('status')} "
            f"({plan.summary.get('termination', '')}) and wrote no plan."
        ) + (f"<ul>{items}</ul>" if items else "")
        return [], [Section("No plan", body)]
    imports = render_chart(
        "imports",
        "Tonnes arriving per month by country, one panel per material",
        _imports_caption(plan),
        lambda: _draw_imports(plan),
    )
    stock = render_chart(
        "stock",
        "Stock against the cover target, one panel per material",
        _stock_caption(plan),
        lambda: _draw_stock(plan),
    )
    costs = render_chart(
        "costs",
        "Total cost by component",
        _costs_caption(plan.summary),
        lambda: _draw_costs(plan.summary),
    )
    policy = render_chart(
        "policy",
        "Added cost of tightening each binding policy by one unit",
        _policy_caption(plan),
        lambda: _draw_policy(plan),
    )
    sections = [
        Section(
            "Import mix by country",
            figure_html(imports, "Nothing is bought: initial stock covers demand and floors.")
            + "<h3>Country shares per material</h3>"
            + _shares_table(plan),
        ),
        Section("Stock against the floor", figure_html(stock, "No stock table.")),
        Section(
            "Cost breakdown",
            figure_html(costs, "No costs.")
            + "<h3>Headline costs</h3>"
            + _costs_table(plan.summary),
        ),
        Section(
            "Policy costs",
            figure_html(policy, "No cap or floor adds to the cost: none binds.")
            + "<h3>Binding caps</h3>"
            + _binding_caps_table(plan)
            + "<h3>Unused offers closest to entering</h3>"
            + _offers_table(plan),
        ),
    ]
    if "decisions" in plan.tables or "processing" in plan.tables:
        sections.append(Section("Decisions and processing", _decisions_html(plan)))
    charts = [chart for chart in (imports, stock, costs, policy) if chart is not None]
    return charts, sections


def _decisions_html(plan: PlanView) -> str:
    """Which options are built and contracts signed, and how hard each unit runs."""
    parts = []
    mip = plan.summary.get("mip") or {}
    if mip.get("gap") is not None:
        parts.append(
            paragraph(
                f"Mixed-integer solve: gap {mip['gap']:.3%}. Shadow prices and policy costs are "
                "those of the LP with every yes/no decision fixed at its chosen value."
            )
        )
    decisions = plan.tables.get("decisions")
    if decisions is not None and len(decisions):
        rows = []
        for r in decisions.itertuples():
            chosen = str(r.chosen).lower() in ("true", "1")
            what = r.process if r.kind == "expansion" else r.supplier
            rows.append(
                [
                    r.kind,
                    r.name,
                    _text(what),
                    "yes" if chosen else "no",
                    _text(r.first_month),
                    _usd(r.cost_in_horizon_usd),
                ]
            )
        parts.append(
            html_table(
                [
                    "kind",
                    "name",
                    "process / supplier",
                    "chosen",
                    "first month",
                    "cost within the horizon",
                ],
                rows,
                "lllllr",
            )
        )
    processing = plan.tables.get("processing")
    if processing is not None and len(processing):
        by_unit = processing.groupby("unit", sort=False).agg(
            process=("process", "first"),
            country=("country", "first"),
            tonnes=("throughput_t", "sum"),
            capacity=("capacity_t_per_month", "first"),
            months=("month", "nunique"),
            cost=("operating_cost_usd", "sum"),
        )
        rows = [
            [
                unit,
                r.process,
                r.country,
                f"{r.tonnes:,.1f}",
                f"{r.tonnes / (r.capacity * r.months):.0%}" if r.capacity else NO_DATA,
                _usd(r.cost),
            ]
            for unit, r in by_unit.iterrows()
        ]
        parts.append(
            "<h3>Processing units</h3>"
            + html_table(
                [
                    "unit",
                    "process",
                    "country",
                    "throughput (t)",
                    "use of capacity in its months",
                    "operating cost",
                ],
                rows,
                "lllrrr",
            )
        )
    return "".join(parts)


def _months(plan: PlanView) -> list[str]:
    return sorted(set(plan.tables["stock"]["month"]))


def _countries(tonnes: pd.DataFrame) -> list[str]:
    """Countries by tonnes bought, largest first (the order of every legend and stack)."""
    totals = tonnes.groupby("country", sort=False)["tonnes"].sum()
    return list(totals.sort_values(ascending=False, kind="stable").index)


def headed_legend(fig: Figure, handles: list, title: str, ncols: int | None = None) -> None:
    """The figure's title with its legend below it, above the panels (a suptitle and an
    outside legend would share, and overlap in, the same top margin)."""
    fig.legend(
        handles=handles,
        loc="outside upper center",
        ncols=_legend_columns(handles, ncols or 10),
        title=title,
        title_fontproperties={"weight": "bold", "size": 12},
    )


def _legend_columns(handles: list, most: int) -> int:
    """As many entries a row as fit the figure's width (about 100 characters of legend)."""
    widest = max(len(h.get_label()) for h in handles) + 6  # the key and the spacing
    return max(1, min(len(handles), most, 100 // widest))


def _country_legend(fig: Figure, countries: list[str], title: str) -> None:
    handles = [Patch(color=country_colour(c), label=c) for c in countries]
    headed_legend(fig, handles, title)


def _draw_imports(plan: PlanView) -> Figure | None:
    table = plan.tables["plan"]
    if table.empty:
        return None
    months, materials = _months(plan), plan.materials
    countries = _countries(table)
    ncols = _columns(len(materials))
    fig = new_figure(0.9 + 2.05 * math.ceil(len(materials) / ncols))
    x = np.arange(len(months))
    for ax, material in zip(_panels(fig, len(materials), ncols), materials, strict=True):
        rows = table[table["material"] == material]
        tonnes = rows.pivot_table(
            index="month", columns="country", values="tonnes", aggfunc="sum", fill_value=0.0
        )
        tonnes = tonnes.reindex(index=months, columns=countries, fill_value=0.0)
        bottom = np.zeros(len(months))
        for country in countries:
            values = tonnes[country].to_numpy(dtype=float)
            if values.sum() > 0:
                _column_bars(ax, x, values, bottom, country_colour(country))
                bottom += values
        ax.set_ylim(0, max(bottom.max(), 1e-9) * 1.05)
        ax.set_title(material)
        ax.set_ylabel("t per month")
        ax.yaxis.set_major_formatter(FuncFormatter(_number))
        _month_axis(ax, months)
    _country_legend(fig, countries, "Arrivals by country of origin, tonnes per month")
    return fig


def _imports_caption(plan: PlanView) -> str:
    table = plan.tables["plan"]
    lead = (
        "Each bar is one month's arrivals of a material, split by country of origin (each "
        "country has the same colour in every chart). Read how the mix shifts over time and "
        "which countries carry each material."
    )
    if table.empty:
        return lead
    parts = []
    for material in plan.materials:
        shares = country_shares(plan.tables["mix"], material)
        if len(shares):
            parts.append(f"{material} {shares.index[0]} {shares.iloc[0]:.0%}")
    return f"{lead} Largest supplier over the horizon: {', '.join(parts)}."


def _draw_stock(plan: PlanView) -> Figure | None:
    stock = plan.tables["stock"]
    months, materials = _months(plan), plan.materials
    ncols = _columns(len(materials))
    fig = new_figure(0.9 + 2.05 * math.ceil(len(materials) / ncols))
    x = np.arange(len(months))
    any_short = False
    for ax, material in zip(_panels(fig, len(materials), ncols), materials, strict=True):
        rows = stock[stock["material"] == material].set_index("month").reindex(months)
        for first, last in _runs(rows["floor_applies"].eq(True).to_numpy()):
            ax.axvspan(first - 0.5, last + 0.5, color=FLOOR_SHADE, lw=0, zorder=0)
        ax.plot(x, rows["floor_t"].to_numpy(dtype=float), ls="--", lw=1.4, color=TARGET_COLOUR)
        ax.plot(
            x, rows["stock_t"].to_numpy(dtype=float), lw=1.8, color=STOCK_COLOUR, marker="o", ms=2.5
        )
        short = rows["shortfall_t"].fillna(0.0).to_numpy(dtype=float)
        title = material
        if (short > 0).any():
            any_short = True
            ax.bar(x[short > 0], short[short > 0], width=0.7, color=SHORT_COLOUR, zorder=3)
            title += f" (shortfall {short.sum():,.2f} t)"
        ax.set_title(title, color=SHORT_COLOUR if (short > 0).any() else "black")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("t")
        ax.yaxis.set_major_formatter(FuncFormatter(_number))
        _month_axis(ax, months)
    handles = [
        Line2D([], [], color=STOCK_COLOUR, lw=1.8, marker="o", ms=2.5, label="stock, end of month"),
        Line2D([], [], color=TARGET_COLOUR, lw=1.4, ls="--", label="cover target (floor_t)"),
        Patch(color=FLOOR_SHADE, label="months where the floor applies"),
    ]
    if any_short:
        handles.append(Patch(color=SHORT_COLOUR, label="shortfall (demand left unmet)"))
    headed_legend(fig, handles, "Stock against the stockpile floor, tonnes")
    return fig


def _stock_caption(plan: PlanView) -> str:
    summary = plan.summary
    below = summary.get("months_below_cover") or {}
    shortfall = summary.get("shortfall_t") or {}
    text = (
        "The line is each material's stock at the end of the month, the dashed line its cover "
        "target (months of cover × that month's demand). In the shaded months the floor is "
        "enforced, so the line never dips below the target there; before them the stock is "
        "being built up."
    )
    if below:
        text += " Months below the target while building up: " + ", ".join(
            f"{m} {n}" for m, n in below.items()
        )
        text += "."
    if shortfall:
        text += " Red bars are demand left unmet (shortfall): " + ", ".join(
            f"{m} {t:,.2f} t" for m, t in shortfall.items()
        )
        text += "."
    else:
        text += " No demand is left unmet."
    return text


def _cost_values(costs: dict) -> list[float]:
    return [float(costs.get(key) or 0.0) for key in COST_COMPONENTS]


def _draw_costs(summary: dict) -> Figure | None:
    costs = summary.get("costs_usd") or {}
    if not costs:
        return None
    values = _cost_values(costs)
    total = float(costs.get("total_usd") or sum(values))
    fig = new_figure(2.8)
    ax = fig.subplots()
    y = np.arange(len(values))
    bars = ax.barh(y, values, color=[COST_COLOURS[k] for k in COST_COMPONENTS], height=0.65)
    ax.set_yticks(y, [_cost_label(k) for k in COST_COMPONENTS])
    ax.invert_yaxis()
    labels = [f"USD {v:,.0f} ({_part(v, total)})" if total else f"USD {v:,.0f}" for v in values]
    _value_labels(ax, bars, labels, horizontal=True)
    ax.set_xlim(0, max(max(values), 1.0) * 1.3)
    ax.xaxis.set_major_formatter(FuncFormatter(_millions))
    ax.set_xlabel("USD million")
    ax.grid(False, axis="y")
    ax.set_title(f"Total cost USD {total:,.0f}, by component", loc="left")
    return fig


def _costs_caption(summary: dict) -> str:
    costs = summary.get("costs_usd") or {}
    total = float(costs.get("total_usd") or 0.0)
    values = dict(zip(COST_COMPONENTS, _cost_values(costs), strict=True))
    top = max(values, key=values.get)
    text = (
        "What the plan's total cost is made of: the offers' prices, import duty on them, "
        "freight, the cost of holding stock, and the penalty on demand left unmet."
    )
    if total:
        text += f" {_cost_label(top).capitalize()} is {values[top] / total:.1%} of the total"
        text += (
            f"; the shortfall penalty adds USD {values['shortfall_usd']:,.0f}."
            if values["shortfall_usd"] > 0
            else "; no shortfall penalty is paid."
        )
    return text


def _policy_rows(plan: PlanView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Caps that add to the cost (costliest first) and every material's floor."""
    table = plan.tables.get("policy_costs")
    if table is None or table.empty:
        return pd.DataFrame(), pd.DataFrame()
    cost = pd.to_numeric(table["marginal_cost_usd"], errors="coerce")
    caps = table[(table["policy"] == CAP_POLICY) & (cost > 0)]
    caps = caps.sort_values("marginal_cost_usd", ascending=False, kind="stable")
    floors = table[(table["policy"] == FLOOR_POLICY) & cost.notna()]
    return caps, floors


def _cap_label(row) -> str:
    return f"{row.country} ≤ {row.setting:.0%} on {row.material}, {_text(row.window)}"


def _draw_policy(plan: PlanView) -> Figure | None:
    caps, floors = _policy_rows(plan)
    shown = caps.head(SHOWN_CAPS)
    panels = []
    if len(shown):
        more = f" (the {len(shown)} costliest of {len(caps)})" if len(caps) > len(shown) else ""
        panels.append(
            (
                shown,
                [_cap_label(r) for r in shown.itertuples()],
                [country_colour(c) for c in shown["country"]],
                f"Binding country caps{more}",
                "USD per percentage point lower cap",
            )
        )
    if len(floors):
        panels.append(
            (
                floors,
                [f"{r.material}, {r.setting:g} months" for r in floors.itertuples()],
                [FLOOR_BAR] * len(floors),
                "Stockpile floors",
                "USD per month more cover",
            )
        )
    if not panels:
        return None
    heights = [len(p[0]) + 2.2 for p in panels]
    fig = new_figure(0.5 + 0.25 * sum(heights))
    axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, (rows, labels, colours, title, unit) in zip(axes, panels, strict=True):
        values = rows["marginal_cost_usd"].to_numpy(dtype=float)
        y = np.arange(len(values))
        bars = ax.barh(y, values, color=colours, height=0.65)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        _value_labels(ax, bars, [f"USD {v:,.0f}" for v in values], horizontal=True)
        ax.set_xlim(0, max(values.max(), 1.0) * 1.25)
        _usd_axis(ax, values.max(), unit)
        ax.grid(False, axis="y")
        ax.set_title(title, loc="left")
    fig.suptitle("What tightening each policy by one unit would add to the total cost")
    return fig


def _policy_caption(plan: PlanView) -> str:
    caps, floors = _policy_rows(plan)
    text = (
        "Each bar is what the total cost would rise by if a policy were tightened by one unit: "
        "a binding country cap lowered by one percentage point, or a stockpile floor raised by "
        "one month of cover (from the solver's duals, valid for small changes). Caps that do "
        "not bind cost nothing and are left out."
    )
    if len(caps):
        top = caps.iloc[0]
        text += (
            f" The costliest cap is {top['country']} on {top['material']} in "
            f"{_text(top['window'])}: USD {top['marginal_cost_usd']:,.0f} per point."
        )
    if len(floors):
        top = floors.sort_values("marginal_cost_usd", ascending=False, kind="stable").iloc[0]
        text += (
            f" The costliest floor is {top['material']}'s: USD {top['marginal_cost_usd']:,.0f} "
            "per month more cover."
        )
    return text


def _shares_table(plan: PlanView) -> str:
    table = plan.tables["plan"]
    if table.empty:
        return paragraph("Nothing is bought.", "note")
    countries = _countries(table)
    rows = []
    for material in plan.materials:
        shares = country_shares(plan.tables["mix"], material)
        cells = [f"{shares[c]:.1%}" if shares.get(c, 0) > 0 else NO_DATA for c in countries]
        rows.append([material, *cells, f"{(shares**2).sum() * 10_000:,.0f}"])
    return html_table(
        ["Material", *countries, "HHI"],
        rows,
        "l" + "r" * (len(countries) + 1),
        "Share of each material's arrivals over the horizon by country; HHI is the sum of "
        "squared shares × 10,000 (10,000: a single source).",
    )


def _costs_table(summary: dict) -> str:
    costs = summary.get("costs_usd") or {}
    total = float(costs.get("total_usd") or 0.0)
    rows = []
    for key, value in zip(COST_COMPONENTS, _cost_values(costs), strict=True):
        rows.append([_cost_label(key), f"{value:,.0f}", _part(value, total) if total else ""])
    rows.append((["total", f"{total:,.0f}", "100.0%" if total else ""], "total"))
    return html_table(["Component", "USD", "Share of total"], rows, "lrr")


def _binding_caps_table(plan: PlanView) -> str:
    constraints = plan.tables.get("constraints")
    if constraints is None or constraints.empty:
        return paragraph("No constraints table.", "note")
    binding = constraints[
        (constraints["family"] == CAP_POLICY) & constraints["binding"].astype(bool)
    ].copy()
    if binding.empty:
        return paragraph("No country cap binds.", "note")
    policy = plan.tables.get("policy_costs")
    costs = {}
    if policy is not None:
        for r in policy[policy["policy"] == CAP_POLICY].itertuples():
            costs[(r.material, r.country, _text(r.window))] = r.marginal_cost_usd
    rows = []
    for r in binding.itertuples():
        cost = costs.get((r.material, r.country, _text(r.window)))
        rows.append(
            [
                r.material,
                r.country,
                _text(r.window),
                f"{r.limit:.0%}",
                f"{r.value:.1%}",
                NO_DATA if _missing(cost) else f"{cost:,.0f}",
            ]
        )
    return html_table(
        ["Material", "Country", "Window", "Cap", "Share reached", "USD per point lower cap"],
        rows,
        "lllrrr",
        "Caps the plan is pressed against; a zero cost means it binds without costing anything.",
    )


def _offers_table(plan: PlanView) -> str:
    """Unused offers that would enter after the smallest cut relative to their price."""
    table = plan.tables.get("policy_costs")
    if table is None or table.empty:
        return paragraph("No policy costs table.", "note")
    offers = table[(table["policy"] == OFFER_POLICY) & table["cheaper_to_enter_usd_per_t"].notna()]
    offers = offers.assign(cut=offers["cheaper_to_enter_usd_per_t"] / offers["price_usd_per_t"])
    offers = offers[offers["cut"] >= TIED_BELOW].sort_values("cut", kind="stable")
    offers = offers.drop_duplicates(["material", "supplier"]).head(SHOWN_OFFERS)
    if offers.empty:
        return paragraph("No unused offer has a price cut that would bring it in.", "note")
    rows = [
        [
            r.material,
            r.supplier,
            r.country,
            _text(r.month),
            f"{r.price_usd_per_t:,.0f}",
            f"{r.cheaper_to_enter_usd_per_t:,.0f}",
            f"{r.cut:.1%}",
        ]
        for r in offers.itertuples()
    ]
    return html_table(
        [
            "Material",
            "Supplier",
            "Country",
            "Arrival month",
            "Price USD/t",
            "Cut to enter USD/t",
            "Cut",
        ],
        rows,
        "llllrrr",
        "How far an unused offer's price must fall before it can enter the plan (offers within "
        f"{TIED_BELOW:.2%} of their price are tied with the plan's choice and left out).",
    )


# ---------------------------------------------------------------------------------------------
# The comparison report

UNIT_NAMES = {"share": "%", "0-10000": "0–10,000"}
COST_METRICS = {key.removesuffix("_usd"): key for key in COST_COMPONENTS}


def _plan_colour(comparison: Comparison, plan: str) -> str:
    return PLAN_COLOURS[comparison.plans.index(plan) % len(PLAN_COLOURS)]


def _metric(comparison: Comparison, metric: str) -> pd.DataFrame:
    """A per-material figure: one row per material, one column per plan."""
    headline = comparison.headline
    rows = headline[(headline["section"] == "material") & (headline["metric"] == metric)]
    return rows.set_index("material")[comparison.plans]


def _cost_row(comparison: Comparison, metric: str) -> pd.Series:
    headline = comparison.headline
    rows = headline[(headline["section"] == "cost") & (headline["metric"] == metric)]
    return rows.iloc[0][comparison.plans].astype(float)


def _comparison_header(comparison: Comparison) -> str:
    others = [p for p in comparison.plans if p != comparison.baseline]
    return f"<h1>Plan comparison: {html.escape(' vs '.join(comparison.plans))}</h1>" + paragraph(
        f"{len(comparison.plans)} plans side by side; differences (Δ) are "
        f"{', '.join(others)} minus the baseline {comparison.baseline}.",
        "description",
    )


def _plans_table(comparison: Comparison, plans: list[PlanView]) -> str:
    totals = _cost_row(comparison, "total")
    rows = []
    for plan in plans:
        summary = plan.summary
        horizon = summary.get("horizon") or {}
        policy = summary.get("policy") or {}
        window = CAP_WINDOW_WORDS.get(policy.get("cap_window"), str(policy.get("cap_window")))
        cover = policy.get("stockpile_cover_months") or 0
        floor = f"{cover:g} months from {policy.get('stockpile_from')}" if cover else "none"
        delta = totals[plan.name] - totals[comparison.baseline]
        rows.append(
            [
                plan.name + (" (baseline)" if plan.name == comparison.baseline else ""),
                str(summary.get("status", "")),
                f"{totals[plan.name]:,.0f}",
                NO_DATA if plan.name == comparison.baseline else _signed(f"{delta:+,.0f}"),
                f"{horizon.get('start')} to {horizon.get('end')}",
                f"caps {window}; floor {floor}",
            ]
        )
    table = html_table(
        ["Plan", "Status", "Total cost USD", "Δ total USD", "Horizon", "Policy"], rows, "llrrll"
    )
    descriptions = "".join(
        f"<div><dt>{html.escape(p.name)}</dt><dd>{html.escape(p.summary.get('description', ''))}"
        "</dd></div>"
        for p in plans
        if p.summary.get("description")
    )
    return table + (f'<dl class="descriptions">{descriptions}</dl>' if descriptions else "")


def _comparison_sections(
    comparison: Comparison, plans: list[PlanView]
) -> tuple[list[Chart], list[Section]]:
    costs = render_chart(
        "costs",
        "Cost components per plan",
        _compare_costs_caption(comparison),
        lambda: _draw_compare_costs(comparison),
    )
    shares = render_chart(
        "shares",
        "Country shares per material per plan",
        "Each bar is one plan's arrivals of the material over the whole horizon, split by "
        "country of origin (the same colours as every other chart). Caps hold per window, so a "
        "horizon share can sit below a cap that binds in some windows.",
        lambda: _draw_compare_shares(comparison),
    )
    concentration = render_chart(
        "concentration",
        "Largest-country share and HHI per material per plan",
        "Left: the largest single country's share of each material's arrivals over the horizon. "
        "Right: the Herfindahl-Hirschman index, the sum of squared country shares × 10,000 "
        "(10,000 is a single source; lower is more diversified).",
        lambda: _draw_concentration(comparison),
    )
    cover = render_chart(
        "cover",
        "Months of cover and shortfall per material per plan",
        "Left: the lowest months of cover (stock ÷ that month's demand) while the stockpile "
        "floor applies, which is what each plan guarantees. Right: demand left unmet over the "
        "horizon, in tonnes (paid for with the shortfall penalty).",
        lambda: _draw_cover(comparison),
    )
    sections = [
        Section("Plans", _plans_table(comparison, plans)),
        Section("Cost components", figure_html(costs, "No costs.")),
        Section("Country shares", figure_html(shares, "Nothing is bought in any plan.")),
        Section("Concentration", figure_html(concentration, "No materials.")),
        Section("Cover and shortfall", figure_html(cover, "No materials.")),
        Section("Headline figures", _headline_table(comparison)),
    ]
    charts = [c for c in (costs, shares, concentration, cover) if c is not None]
    return charts, sections


def _draw_compare_costs(comparison: Comparison) -> Figure:
    names = comparison.plans
    values = {m: _cost_row(comparison, m) for m in COST_METRICS}
    totals = _cost_row(comparison, "total")
    per_group = 0.8 / len(names)
    fig = new_figure(1.1 + len(COST_METRICS) * (0.22 * len(names) + 0.22))
    ax = fig.subplots()
    y = np.arange(len(COST_METRICS))
    handles = []  # made here: the axes' own list leaves out a plan whose name starts with "_"
    for j, name in enumerate(names):
        heights = np.array([values[m][name] for m in COST_METRICS], dtype=float)
        colour = _plan_colour(comparison, name)
        bars = ax.barh(
            y - 0.4 + per_group * (j + 0.5),
            np.nan_to_num(heights),
            height=per_group * 0.92,
            color=colour,
        )
        _value_labels(ax, bars, [_usd(v) for v in heights], horizontal=True)
        label = f"{name} (total USD {totals[name] / 1e6:,.1f} million)"
        handles.append(Patch(color=colour, label=label))
    ax.set_yticks(y, [_cost_label(COST_METRICS[m]) for m in COST_METRICS])
    ax.invert_yaxis()
    top = np.nanmax([values[m].max() for m in COST_METRICS])
    ax.set_xlim(0, max(top, 1.0) * 1.3)
    ax.xaxis.set_major_formatter(FuncFormatter(_millions))
    ax.set_xlabel("USD million")
    ax.grid(False, axis="y")
    headed_legend(fig, handles, "Cost by component, per plan", min(len(names), 3))
    return fig


def _compare_costs_caption(comparison: Comparison) -> str:
    text = "Each group is one cost component; each bar one plan."
    base = comparison.baseline
    totals = _cost_row(comparison, "total")
    for name in comparison.plans:
        if name == base:
            continue
        delta = totals[name] - totals[base]
        changes = {
            m: _cost_row(comparison, m)[name] - _cost_row(comparison, m)[base] for m in COST_METRICS
        }
        biggest = max(changes, key=lambda m: abs(changes[m]))
        relative = f" ({delta / totals[base]:+.1%})" if totals[base] else ""
        text += (
            f" {name} costs USD {abs(delta):,.0f} {'more' if delta >= 0 else 'less'} than "
            f"{base}{relative}; the largest change is in "
            f"{_cost_label(COST_METRICS[biggest])} (USD {_signed(f'{changes[biggest]:+,.0f}')})."
        )
    return text


def _draw_compare_shares(comparison: Comparison) -> Figure | None:
    detail = comparison.detail
    if detail.empty:
        return None
    names = comparison.plans
    materials = list(dict.fromkeys(detail["material"]))
    tonnes = detail.assign(tonnes=detail[[f"tonnes {p}" for p in names]].sum(axis=1))
    countries = _countries(tonnes)
    ncols = _columns(len(materials))
    fig = new_figure(0.9 + (0.95 + 0.3 * len(names)) * math.ceil(len(materials) / ncols))
    y = np.arange(len(names))
    for ax, material in zip(_panels(fig, len(materials), ncols), materials, strict=True):
        rows = detail[detail["material"] == material].set_index("country")
        left = np.zeros(len(names))
        for country in countries:
            if country not in rows.index:
                continue
            shares = np.array([rows.at[country, f"share {p}"] for p in names], dtype=float) * 100
            bars = ax.barh(y, shares, left=left, height=0.62, color=country_colour(country))
            for bar, share in zip(bars, shares, strict=True):
                if share >= 9:
                    ax.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + bar.get_height() / 2,
                        f"{share:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=7.5,
                        color="white",
                        fontweight="bold",
                    )
            left += shares
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of arrivals over the horizon, %")
        ax.grid(False, axis="y")
        ax.set_title(material)
    _country_legend(fig, countries, "Country shares of each material's arrivals, per plan")
    return fig


def _peak(table: pd.DataFrame) -> float:
    """The largest value of a table, 0 when it has none (NaN is no value)."""
    values = np.nan_to_num(table.to_numpy(dtype=float), nan=0.0)
    return float(values.max()) if values.size else 0.0


def _grouped(ax, comparison: Comparison, table: pd.DataFrame, label: Callable[[float], str]):
    """Horizontal bars: one group per material (top to bottom), one bar per plan, each
    labelled with its value ("–": the plan has no such figure)."""
    names = comparison.plans
    height = 0.8 / len(names)
    y = np.arange(len(table.index))
    for j, name in enumerate(names):
        values = table[name].to_numpy(dtype=float)
        bars = ax.barh(
            y - 0.4 + height * (j + 0.5),
            np.nan_to_num(values),
            height=height * 0.92,
            color=_plan_colour(comparison, name),
            label=name,
        )
        _value_labels(ax, bars, [NO_DATA if np.isnan(v) else label(v) for v in values], True)
    ax.set_yticks(y, list(table.index))
    if not ax.yaxis_inverted():  # panels share their y axis: invert it once
        ax.invert_yaxis()
    ax.grid(False, axis="y")


def _plan_legend(fig: Figure, comparison: Comparison, title: str) -> None:
    handles = [Patch(color=_plan_colour(comparison, p), label=p) for p in comparison.plans]
    headed_legend(fig, handles, title, min(len(handles), 6))


def _pair(comparison: Comparison, rows: int) -> tuple:
    """Two panels side by side, sharing the materials down the left."""
    fig = new_figure(1.3 + rows * (0.2 * len(comparison.plans) + 0.22))
    left, right = fig.subplots(1, 2, sharey=True)
    right.tick_params(axis="y", labelleft=False)
    return fig, left, right


def _draw_concentration(comparison: Comparison) -> Figure | None:
    largest = _metric(comparison, "largest country share")
    if largest.empty:
        return None
    hhi = _metric(comparison, "HHI")
    fig, left, right = _pair(comparison, len(largest))
    _grouped(left, comparison, largest * 100, lambda v: f"{v:.1f}%")
    left.set_xlim(0, 118)
    left.set_xlabel("largest country's share of arrivals, %")
    left.set_title("Largest country's share")
    _grouped(right, comparison, hhi, lambda v: f"{v:,.0f}")
    right.set_xlim(0, 11_800)
    right.xaxis.set_major_formatter(FuncFormatter(_number))
    right.set_xlabel("HHI (0–10,000)")
    right.set_title("Herfindahl-Hirschman index")
    _plan_legend(fig, comparison, "Supply concentration per material, per plan")
    return fig


def _draw_cover(comparison: Comparison) -> Figure | None:
    cover = _metric(comparison, "months of cover (lowest under the floor)")
    if cover.empty:
        return None
    shortfall = _metric(comparison, "shortfall")
    fig, left, right = _pair(comparison, len(cover))
    _grouped(left, comparison, cover, lambda v: f"{v:.2f}")
    left.set_xlim(0, max(_peak(cover), 1.0) * 1.2)
    left.set_xlabel("months of demand in stock")
    left.set_title("Months of cover (lowest while the floor applies)")
    _grouped(right, comparison, shortfall, lambda v: f"{v:,.2f} t" if v else "")
    peak = _peak(shortfall)
    right.set_xlim(0, peak * 1.3 if peak > 0 else 1.0)
    if peak <= 0:
        right.text(
            0.5,
            0.5,
            "no shortfall in any plan",
            transform=right.transAxes,
            ha="center",
            va="center",
            color="#52606d",
        )
    right.xaxis.set_major_formatter(FuncFormatter(_number))
    right.set_xlabel("t left unmet over the horizon")
    right.set_title("Shortfall (demand left unmet)")
    _plan_legend(fig, comparison, "Stockpile cover and shortfall per material, per plan")
    return fig


def _figure_value(value, unit: str, difference: bool = False) -> str:
    """A headline figure (or a difference) as the terminal shows it, with true minus signs."""
    if _missing(value):
        return NO_DATA
    text = format_figure(value, unit, difference)
    return _signed(text) if difference else text


def _metric_label(row) -> str:
    metric = row["metric"]
    if row["section"] == "cost":
        return "total cost" if metric == "total" else _cost_label(COST_METRICS.get(metric, metric))
    if metric.startswith("share "):
        return f"share from {metric.removeprefix('share ')}"
    return metric


def _headline_table(comparison: Comparison) -> str:
    headline = comparison.headline
    names, deltas = comparison.plans, comparison.differences
    rows, group = [], None
    for _, row in headline.iterrows():
        heading = {"cost": "Costs", "policy": "Policy"}.get(row["section"], row["material"])
        if heading != group:
            rows.append(([heading], "group"))
            group = heading
        unit = row["unit"]
        cells = [_metric_label(row), UNIT_NAMES.get(unit, unit)]
        cells += [_figure_value(row[n], unit) for n in names]
        cells += [_figure_value(row[d], unit, difference=True) for d in deltas]
        rows.append((cells, "total" if row["metric"] == "total" else ""))
    return html_table(
        ["Figure", "Unit", *names, *deltas],
        rows,
        "ll" + "r" * (len(names) + len(deltas)),
        f"Every headline figure of compare.csv; Δ is a plan minus the baseline "
        f"{comparison.baseline} (shares in percentage points).",
    )
