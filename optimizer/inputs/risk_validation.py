"""The rules of the disruption inputs across rows and tables (``events.csv``,
``event_effects.csv``, ``risk_scenarios.csv``), reported like every other problem."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.inputs.problems import Problem
from optimizer.inputs.reading import LINE
from optimizer.inputs.schema import TABLES

BASE = "base"  # the name of the undisrupted scenario (models.risk.BASE)


def check_risk(typed: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    scenarios, effects = typed.get("risk_scenarios"), typed.get("event_effects")
    if scenarios is not None and len(scenarios):
        check_scenarios(scenarios, problems)
    if effects is not None and len(effects):
        check_effects(effects, typed.get("offers"), typed.get("suppliers"), problems)


def check_scenarios(scenarios: pd.DataFrame, problems: list[Problem]) -> None:
    """A scenario repeats its probability on every row; the probabilities sum to at most 1;
    ``base`` is the name of what is left over."""
    file = TABLES["risk_scenarios"].file
    for line in scenarios.loc[scenarios["scenario"] == BASE, LINE]:
        problems.append(Problem(file, int(line), "scenario", "'base' is the undisrupted "
                                "scenario, given the probability the others leave over; name "
                                "this one otherwise"))  # fmt: skip
    first = scenarios.groupby("scenario", sort=False)["probability"].transform("first")
    differs = ~np.isclose(scenarios["probability"].to_numpy(float), first.to_numpy(float))
    for line, p, q in zip(scenarios[LINE][differs], scenarios["probability"][differs],
                          first[differs], strict=True):  # fmt: skip
        problems.append(Problem(file, int(line), "probability", f"{p:g} differs from {q:g} on "
                                "the scenario's first row; every row of a scenario repeats its "
                                "probability"))  # fmt: skip
    total = scenarios.groupby("scenario", sort=False)["probability"].first().sum()
    if total > 1 + 1e-9:
        problems.append(Problem(file, None, "probability", f"the scenarios' probabilities sum "
                                f"to {total:g}, above 1"))  # fmt: skip


def check_effects(
    effects: pd.DataFrame,
    offers: pd.DataFrame | None,
    suppliers: pd.DataFrame | None,
    problems: list[Problem],
) -> None:
    """A row must change something; a capacity factor strictly between 0 and 1 needs the
    capacities it scales to be finite."""
    file = TABLES["event_effects"].file
    idle = (
        (effects["capacity_factor"] == 1)
        & (effects["price_factor"] == 1)
        & (effects["extra_lead_months"] == 0)
    )
    for line in effects.loc[idle, LINE]:
        problems.append(Problem(file, int(line), None, "the row changes nothing: set "
                                "capacity_factor, price_factor or extra_lead_months"))  # fmt: skip
    if offers is None or suppliers is None:
        return
    country = offers["supplier"].map(suppliers.set_index("supplier")["country"])
    unlimited = ~np.isfinite(offers["capacity_t_per_month"].to_numpy(dtype=float))
    partial = effects[(effects["capacity_factor"] > 0) & (effects["capacity_factor"] < 1)]
    lines = partial[LINE].to_numpy()
    for line, row in zip(lines, partial.itertuples(), strict=True):  # rows, each vs every offer
        match = unlimited.copy()
        if isinstance(row.supplier, str):
            match &= (offers["supplier"] == row.supplier).to_numpy()
        if isinstance(row.country, str):
            match &= (country == row.country).to_numpy()
        if isinstance(row.material, str):
            match &= (offers["material"] == row.material).to_numpy()
        if match.any():
            named = offers[match].iloc[0]
            problems.append(Problem(file, int(line), "capacity_factor",
                                    f"{row.capacity_factor:g} scales an unlimited capacity "
                                    f"({named['supplier']} {named['material']}); give that "
                                    "offer a capacity, or use 0 (a ban)"))  # fmt: skip
