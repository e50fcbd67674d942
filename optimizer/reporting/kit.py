"""The HTML parts every report is built from: ``page``, ``Section``, ``html_table``,
``figure_html``, ``facts`` and ``paragraph`` compose a page, ``write_report`` writes it with its
charts, and a few formatters write figures the same way in every report.

A page is one self-contained file: the charts are embedded as ``data:`` URIs, the CSS and the
one small script are inline, and its Content-Security-Policy lets it load nothing else, so it
reads the same without a network. Every name that reaches the page is escaped. The charts
themselves are drawn by :mod:`optimizer.reporting.charts`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from optimizer.common.output_paths import write_file_atomic
from optimizer.results.tables import COST_LABELS

REPORT_FILE = "report.html"
CHARTS_FOLDER = "charts"
# The charts of a result folder's report and of a comparison folder's: either report removes
# any of these it did not draw this time (left by an earlier report).
PLAN_CHARTS = ("imports", "stock", "costs", "policy")
COMPARISON_CHARTS = ("costs", "shares", "concentration", "cover")
NO_DATA = "–"


@dataclass(frozen=True)
class Chart:
    """A chart drawn to PNG: written as ``charts/<stem>.png`` and embedded in the page."""

    stem: str  # the file is charts/<stem>.png
    alt: str
    caption: str
    png: bytes
    width: int
    height: int

    @property
    def uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Section:
    """A section of the page: a heading (also its anchor and its link in the page's index)."""

    heading: str
    body: str  # HTML


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
# Figures as text


def is_missing(value) -> bool:
    """None or NaN: a figure the table does not have."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def usd(value) -> str:
    """USD 1,234,567 (a dash when missing)."""
    return NO_DATA if is_missing(value) else f"USD {value:,.0f}"


def share_text(value: float, total: float) -> str:
    """A share of a total as a percentage; a small but nonzero part is not shown as 0.0%."""
    share = value / total
    return "<0.1%" if 0 < share < 0.0005 else f"{share:.1%}"


def cell_text(value) -> str:
    """A CSV cell as text: windows read back as 2026.0 become 2026 again; blanks are ''."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def signed(text: str) -> str:
    """A difference: a true minus sign, and nothing shown as +0."""
    if not re.search(r"[1-9]", text):
        return "0"
    return text.replace("-", "−")


def cost_label(key: str) -> str:
    """A cost component's name in words (``tariff_usd``: import duty)."""
    return COST_LABELS.get(key, key.removesuffix("_usd"))


def not_shown(names: Sequence[str], why: str) -> str:
    """The sentence a caption ends with when it leaves things out: "Not shown: A, B (why)."
    (nothing when nothing is left out)."""
    return f" Not shown: {', '.join(names)} ({why})." if names else ""


def slug(text: str) -> str:
    """An anchor for a heading: lower-case letters and digits joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# ---------------------------------------------------------------------------------------------
# HTML


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
    """The chart with its caption, or the sentence ``missing`` when nothing was drawn."""
    if chart is None:
        return f'<p class="note">{html.escape(missing)}</p>'
    return (
        f'<figure id="chart-{html.escape(chart.stem)}"><img src="{chart.uri}" '
        f'alt="{html.escape(chart.alt)}" '
        f'width="{chart.width}" height="{chart.height}">'
        f"<figcaption>{html.escape(chart.caption)}</figcaption></figure>"
    )


def facts(items: Sequence[tuple[str, str]]) -> str:
    """Headline facts as a grid of labelled boxes."""
    cells = "".join(
        f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>" for k, v in items
    )
    return f'<dl class="facts">{cells}</dl>'


def paragraph(text: str, css: str = "") -> str:
    """A paragraph of escaped text (nothing for no text)."""
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
.verdict { margin: 14px 0 16px; padding: 10px 14px; border: 1px solid; border-left-width: 6px;
  border-radius: 6px; }
.verdict.good { background: #eef7ef; border-color: #2e7d32; }
.verdict.bad { background: #fdecea; border-color: #b71c1c; }
.verdict-headline { margin: 0; font-size: 17px; font-weight: 700; }
.verdict ul { margin: 6px 0 0; padding-left: 20px; }
.verdict li { margin: 3px 0; max-width: 100ch; }
.verdict li.good > strong { color: #2e7d32; }
.verdict li.bad > strong { color: #b71c1c; }
.descriptions dt { font-weight: 600; margin-top: 6px; }
.descriptions dd { margin: 0 0 4px; color: #52606d; max-width: 90ch; }
footer { margin-top: 36px; color: #7b8794; font-size: 13px; }
@media print { body { background: #fff; } main { padding: 0; } }
""".strip()

# Counts the <img> elements that loaded and decoded (naturalWidth > 0), and marks each with
# where it is drawn (data-box: left top width height, CSS pixels from the page's top left), for
# the headless checks (the DOM, then a screenshot).
SCRIPT = """
(function () {
  function count() {
    var rendered = 0;
    for (var i = 0; i < document.images.length; i += 1) {
      var image = document.images[i];
      var box = image.getBoundingClientRect();
      if (image.complete && image.naturalWidth > 0) { rendered += 1; }
      image.dataset.box = [box.left + window.scrollX, box.top + window.scrollY, box.width,
        box.height].map(Math.round).join(" ");
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
    nav = "".join(f'<a href="#{slug(s.heading)}">{html.escape(s.heading)}</a>' for s in sections)
    body = "\n".join(
        f'<section id="{slug(s.heading)}">\n<h2>{html.escape(s.heading)}</h2>\n{s.body}\n</section>'
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
