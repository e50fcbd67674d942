"""A comparison as aligned plain-text tables for the terminal."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from optimizer.common.text_width import TEXT_WIDTH, clip, column_blocks, wrap_prose
from optimizer.results.compare import Comparison
from optimizer.results.compare_inputs import format_input_differences
from optimizer.results.verdict import verdict_line

MAX_LABEL = 44  # a longer label is cut
MIN_COLUMN = 10
UNCHANGED = 1e-9  # a difference this small (absolute, or relative to 1) is none


def format_figure(value: float, unit: str, difference: bool = False) -> str:
    """A headline figure (or a difference from the baseline) in its unit. A difference too
    small for the unit's decimals is written with two significant digits (``+0.0042 pp``),
    never as ``-0`` or ``+0.0 pp``; one below :data:`UNCHANGED` is ``=``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if difference and abs(value) <= UNCHANGED * max(1.0, abs(value)):
        return "="  # unchanged: not "-0" or "-0.0 pp" from rounding noise
    text = _figure(value, unit, difference)
    if difference and not any(c in "123456789" for c in text) and unit != "yes/no":
        scaled = 100 * value if unit == "share" else value
        suffix = {"share": " pp", "month no.": " months"}.get(unit, "")
        text = f"{scaled:+.2g}{suffix}"
    return text


def _figure(value: float, unit: str, difference: bool) -> str:
    sign = "+" if difference else ""
    if unit == "yes/no":
        if difference:
            return {1: "chosen", -1: "dropped"}.get(round(value), "=")
        return "yes" if value > 0.5 else "no"
    if unit == "USD":
        return f"{value:{sign},.0f}"
    if unit == "share":
        return f"{100 * value:{sign}.1f} pp" if difference else f"{value:.1%}"
    if unit in ("count", "0-10000"):
        return f"{value:{sign},.0f}"
    if unit == "month no.":
        return f"{value:{sign}.0f} months" if difference else f"month {value:.0f}"
    return f"{value:{sign},.2f}"


def _label(row: pd.Series) -> str:
    unit = f" ({row['unit']})" if row["unit"] in ("USD", "t", "months") else ""
    indent = "  " if row["section"] != "policy" and row["metric"] != "total" else ""
    return f"{indent}{row['metric']}{unit}"


def format_comparison(comparison: Comparison, only_differences: bool = False) -> str:
    """The verdicts (a plan that misses demand says so first), the input differences from the
    baseline, the headline figures side by side (or only the baseline and differences), then
    detail. Every line fits :data:`TEXT_WIDTH` columns: a table too wide for it is printed in
    blocks, one per plan against the baseline (compare.csv holds it whole)."""
    lines = [*format_verdicts(comparison), ""] if comparison.verdicts else []
    lines += [*format_input_differences(comparison.inputs, comparison.plans, comparison.baseline)]
    lines.append("")
    lines += format_headline(comparison, only_differences)
    lines = wrap_prose(lines + ["", *format_detail(comparison)])
    return "\n".join(lines)


def format_headline(comparison: Comparison, only_differences: bool = False) -> list[str]:
    """The headline figures: a row per figure, a column per plan and per difference. A row
    no plan has a value for is left out; a material with no figure other than 0 in any plan
    (nothing bought or made, no shortfall, no cover under a floor) is one line."""
    headline = comparison.headline
    plans, baseline = list(comparison.plans), comparison.baseline
    shown = [baseline] if only_differences else plans
    columns = shown + comparison.differences
    quiet = _quiet_materials(comparison)
    labels: list[str] = []
    cells: list[list[str] | None] = []  # None: a heading line
    material = previous = None
    for _, row in headline.iterrows():
        values = row[plans].to_numpy(dtype=float)
        if np.isnan(values).all():
            continue  # no plan has it (a floor that never applies, a material never supplied)
        if row["section"] == "material" and row["material"] != material:
            material = row["material"]
            labels += ["", material + (QUIET if material in quiet else "")]
            cells += [None, None]
        if row["section"] == "material" and row["material"] in quiet:
            continue
        if row["section"] == "cost" and row["metric"] == "purchase":
            labels.append("Cost by component")
            cells.append(None)
        if row["section"] == "decision" and row["section"] != previous:
            labels.append("Decisions")
            cells.append(None)
        previous = row["section"]
        labels.append(_label(row)[: MAX_LABEL - 1])
        cells.append(
            [format_figure(row[c], row["unit"]) for c in shown]
            + [format_figure(row[c], row["unit"], difference=True) for c in comparison.differences]
        )
    title = f"Plans compared (differences against {baseline}):"
    others = [name for name in plans if name != baseline]
    titles = [f"{name} against {baseline}:" for name in others]
    blocks = _blocks(comparison, only_differences)
    return [title, *_fitted_table(labels, cells, columns, blocks, titles)]


QUIET = ": no figure but 0 in any plan (nothing bought or made, no shortfall)"


def _quiet_materials(comparison: Comparison) -> set[str]:
    """The materials whose every figure is 0 or none in every plan."""
    headline = comparison.headline
    rows = headline[headline["section"] == "material"]
    numbers = np.abs(rows[comparison.plans].to_numpy(dtype=float))
    busy = np.nansum(numbers, axis=1) > 0
    return set(rows["material"]) - set(rows.loc[busy, "material"])


def _blocks(comparison: Comparison, only_differences: bool) -> list[list[int]]:
    """Column positions (of plans shown, then differences) for the blocks of a table too wide
    for one: each plan with the baseline and its difference."""
    plans, baseline = list(comparison.plans), comparison.baseline
    shown = [baseline] if only_differences else plans
    others = [name for name in plans if name != baseline]
    blocks = []
    for number, name in enumerate(others):
        plan = [] if only_differences else [shown.index(name)]
        blocks.append([shown.index(baseline), *plan, len(shown) + number])
    return blocks


def _fitted_table(
    labels: list[str],
    cells: list[list[str] | None],
    columns: list[str],
    blocks: list[list[int]],
    titles: list[str] | None = None,
) -> list[str]:
    """Rows of ``labels`` and ``cells`` under ``columns``, in one table if it fits
    :data:`TEXT_WIDTH`, else in ``blocks`` of columns (each under its title, if given), each
    block's headers clipped to fit."""
    named = [label for label, row in zip(labels, cells, strict=True) if row]
    label_width = max(map(len, named), default=0) + 2
    widths = [
        max(MIN_COLUMN, len(name) + 2, *(len(row[i]) + 2 for row in cells if row))
        for i, name in enumerate(columns)
    ]
    if label_width + sum(widths) <= TEXT_WIDTH or len(blocks) < 2:
        blocks, titles = [list(range(len(columns)))], None
    lines: list[str] = []
    for number, block in enumerate(blocks):
        lines += [""] if number else []
        lines += [clip(titles[number], TEXT_WIDTH)] if titles else []
        block_widths = [widths[i] for i in block]
        if label_width + sum(block_widths) > TEXT_WIDTH:  # long plan names: clipped
            room = (TEXT_WIDTH - label_width) // len(block)
            block_widths = [min(width, max(room, MIN_COLUMN)) for width in block_widths]
        header = "".join(
            f"{clip(columns[i], w - 2):>{w}}" for i, w in zip(block, block_widths, strict=True)
        )
        lines.append(" " * label_width + header)
        for label, row in zip(labels, cells, strict=True):
            if row is None:
                lines.append(label)
                continue
            body = "".join(f"{row[i]:>{w}}" for i, w in zip(block, block_widths, strict=True))
            lines.append(f"{label:<{label_width}}{body}")
    return lines


def format_verdicts(comparison: Comparison) -> list[str]:
    """One line per plan, before any figure: whether it meets demand and holds its floors."""
    width = max(len(name) for name in comparison.plans) + 2
    own_line = width > TEXT_WIDTH // 3  # a long name: its verdict on the lines below it
    lines = ["Verdicts:"]
    for name in comparison.plans:
        line = verdict_line(comparison.verdicts.get(name, {}))
        first = f"  {name:<{width}}"
        if own_line:
            lines.append(f"  {name}:")
            first = " " * 6
        lines += textwrap.wrap(
            f"{line[:1].lower()}{line[1:]}",
            width=TEXT_WIDTH,
            initial_indent=first,
            subsequent_indent=" " * (len(first) + 4),
            break_long_words=False,
            break_on_hyphens=False,
        )
    return lines


def format_detail(comparison: Comparison) -> list[str]:
    """Per material and country: tonnes and share in each plan, in blocks of plans that fit
    :data:`TEXT_WIDTH`."""
    detail = comparison.detail
    plans = comparison.plans
    labels: list[str] = []
    cells: list[list[str] | None] = []
    for material, rows in detail.groupby("material", sort=False):
        labels.append(material)
        cells.append(None)
        for _, row in rows.iterrows():
            labels.append(f"  {row['country']}"[: MAX_LABEL - 1])
            cells.append([f"{row[f'tonnes {p}']:,.1f} ({row[f'share {p}']:.1%})" for p in plans])
    if not labels:
        return []
    widths = [max(len(p), *(len(r[i]) for r in cells if r)) + 2 for i, p in enumerate(plans)]
    label_width = max(len(label) for label, row in zip(labels, cells, strict=True) if row) + 2
    blocks = column_blocks(widths, TEXT_WIDTH - label_width)
    return [
        "Detail by material and country: tonnes (share)",
        *_fitted_table(labels, cells, plans, blocks),
    ]
