"""HTML reports with charts for plans, comparisons and sweeps.

- :mod:`~optimizer.reporting.kit`: the HTML parts every page is built from, and writing a report;
- :mod:`~optimizer.reporting.charts`: drawing charts in a fixed style, and the country colours;
- :mod:`~optimizer.reporting.plan_page` (with :mod:`~optimizer.reporting.plan_charts`): the plan
  report of a result folder;
- :mod:`~optimizer.reporting.comparison_page`: the comparison report of a comparison folder;
- :mod:`~optimizer.reporting.sweep_results`, :mod:`~optimizer.reporting.sweep_analysis`,
  :mod:`~optimizer.reporting.sweep_charts`, :mod:`~optimizer.reporting.sweep_page`: a sweep's
  results read into typed frames, the figures behind its report as DataFrames, its charts, and
  its page.
"""

from optimizer.reporting.comparison_page import write_comparison_report
from optimizer.reporting.plan_page import write_plan_report
from optimizer.reporting.sweep_analysis import (
    TornadoBar,
    cheapest_and_dearest,
    frontier,
    line_kind,
    parameter_lines,
    parameter_summary,
    pareto_frontier,
    rank_correlations,
    settings_without_plan,
    status_counts,
    tornado_bars,
    tornado_table,
)
from optimizer.reporting.sweep_page import write_sweep_report
from optimizer.reporting.sweep_results import SweepParameter, SweepResults

__all__ = [
    "SweepParameter",
    "SweepResults",
    "TornadoBar",
    "cheapest_and_dearest",
    "frontier",
    "line_kind",
    "parameter_lines",
    "parameter_summary",
    "pareto_frontier",
    "rank_correlations",
    "settings_without_plan",
    "status_counts",
    "tornado_bars",
    "tornado_table",
    "write_comparison_report",
    "write_plan_report",
    "write_sweep_report",
]
