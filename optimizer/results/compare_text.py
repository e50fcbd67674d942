"""A comparison as aligned plain-text tables for the terminal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.results.compare import Comparison
from optimizer.results.compare_inputs import format_input_differences
from optimizer.results.verdict import verdict_line

LABEL_WIDTH = 44
UNCHANGED = 1e-9  # a difference this small (absolute, or relative to 1) is none


def format_figure(value: float, unit: str, difference: bool = False) -> str:
    """A headline figure (or a difference from the baseline) in its unit."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    sign = "+" if difference else ""
    if difference and abs(value) <= UNCHANGED * max(1.0, abs(value)):
        return "="  # unchanged: not "-0" or "-0.0 pp" from rounding noise
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
    detail."""
    headline = comparison.headline
    shown = [comparison.baseline] if only_differences else list(comparison.plans)
    deltas = comparison.differences
    columns = shown + deltas
    width = max(14, *(len(c) + 2 for c in columns))
    header = " " * LABEL_WIDTH + "".join(f"{c:>{width}}" for c in columns)
    lines = [*format_verdicts(comparison), ""] if comparison.verdicts else []
    lines += [*format_input_differences(comparison.inputs, comparison.plans, comparison.baseline)]
    lines.append("")
    lines += [f"Plans compared (differences against {comparison.baseline}):", header]
    material = previous = None
    for _, row in headline.iterrows():
        if row["section"] == "material" and row["material"] != material:
            material = row["material"]
            lines += ["", material]
        if row["section"] == "cost" and row["metric"] == "purchase":
            lines.append("Cost by component")
        if row["section"] == "decision" and row["section"] != previous:
            lines.append("Decisions")
        previous = row["section"]
        cells = [format_figure(row[c], row["unit"]) for c in shown]
        cells += [format_figure(row[c], row["unit"], difference=True) for c in deltas]
        label = _label(row)[: LABEL_WIDTH - 1]
        lines.append(f"{label:<{LABEL_WIDTH}}" + "".join(f"{c:>{width}}" for c in cells))
    return "\n".join(lines + ["", *format_detail(comparison)])


def format_verdicts(comparison: Comparison) -> list[str]:
    """One line per plan, before any figure: whether it meets demand and holds its floors."""
    width = max(len(name) for name in comparison.plans) + 2
    lines = ["Verdicts:"]
    for name in comparison.plans:
        line = verdict_line(comparison.verdicts.get(name, {}))
        lines.append(f"  {name:<{width}}{line[:1].lower()}{line[1:]}")
    return lines


def format_detail(comparison: Comparison) -> list[str]:
    """Per material and country: tonnes and share in each plan."""
    detail = comparison.detail
    plans = comparison.plans
    width = max(12, *(len(p) + 2 for p in plans))
    lines = ["Detail by material and country: tonnes (share)"]
    lines.append(" " * 24 + "".join(f"{p:>{width + 10}}" for p in plans))
    for material, rows in detail.groupby("material", sort=False):
        lines.append(material)
        for _, row in rows.iterrows():
            cells = "".join(
                f"{row[f'tonnes {p}']:>{width},.1f} ({row[f'share {p}']:>5.1%})" for p in plans
            )
            lines.append(f"  {row['country']:<22}{cells}")
    return lines
