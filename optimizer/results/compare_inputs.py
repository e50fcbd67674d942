"""Why plans differ: each plan's inputs against the baseline's
(:func:`~optimizer.inputs.scenario_diff.scenario_differences`), or why that is unknown.

A plan solved here carries its scenario. A result folder's is loaded from the path its
``summary.json`` records (``inputs``), and only while the files there still have the recorded
digest: inputs edited since the solve are not the plan's inputs, and differences from them would
be stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.inputs.digest import input_digest
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.problems import ScenarioError
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_diff import COLUMNS, format_differences, scenario_differences

if TYPE_CHECKING:
    from optimizer.results.compare import PlanView

INPUT_COLUMNS = ["plan", *COLUMNS]
UNKNOWN = "unknown"  # the change of a plan's one row when its differences are unknown


def recorded_scenario(summary: dict) -> tuple[Scenario | None, str]:
    """The scenario a result folder was solved from, or ``None`` and why not, in a phrase."""
    record = summary.get("inputs")
    if not isinstance(record, dict) or not isinstance(record.get("scenario"), str):
        return None, "its summary.json does not record which inputs it was solved from"
    path = Path(record["scenario"])
    if not path.exists():
        return None, f"its inputs {path} are no longer there"
    try:
        if input_digest(path) != record.get("digest"):
            return None, f"its inputs {path} changed since the plan was solved"
        return load_scenario(path), ""
    except (OSError, ScenarioError) as error:
        return None, f"its inputs {path} cannot be read ({str(error).splitlines()[0]})"


def input_differences(plans: list[PlanView], baseline: str) -> pd.DataFrame:
    """Per plan other than ``baseline``: its input differences from the baseline's inputs (a
    row each, ``plan`` first), or one row of change ``unknown`` with the reason in ``new``."""
    by_name = {plan.name: plan for plan in plans}
    reference = by_name[baseline]
    frames = []
    for plan in plans:
        if plan.name == baseline:
            continue
        if plan.scenario is None:
            reason = plan.no_scenario_reason
        elif reference.scenario is None:
            reason = f"the baseline's inputs are unknown: {reference.no_scenario_reason}"
        else:
            found = scenario_differences(reference.scenario, plan.scenario)
            frames.append(found.assign(plan=plan.name)[INPUT_COLUMNS])
            continue
        row = {"plan": plan.name, "table": "", "key": "", "column": "", "old": "", "new": reason}
        frames.append(pd.DataFrame([row | {"change": UNKNOWN}], columns=INPUT_COLUMNS))
    if not frames:
        return empty_inputs()
    return pd.concat(frames, ignore_index=True).astype(object)


def empty_inputs() -> pd.DataFrame:
    return pd.DataFrame(columns=INPUT_COLUMNS, dtype=object)


def format_input_differences(inputs: pd.DataFrame, plans: list[str], baseline: str) -> list[str]:
    """A heading, then per plan other than the baseline: its differences by file, or that
    there are none, or why they are unknown."""
    lines = [f"Input differences from {baseline}:"]
    for name in plans:
        if name == baseline:
            continue
        rows = inputs[inputs["plan"] == name]
        if rows.empty:
            lines.append(f"  {name}: no input differences")
        elif (rows["change"] == UNKNOWN).any():
            lines.append(f"  {name}: input differences unknown: {rows['new'].iloc[0]}")
        else:
            lines.append(f"  {name}:")
            lines += format_differences(rows[COLUMNS], indent="    ").splitlines()
    return lines
