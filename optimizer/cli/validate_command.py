"""``sourcing validate SCENARIO_DIR``: check the inputs without solving."""

from __future__ import annotations

from optimizer.cli.common import described, say, scenario_folder
from optimizer.cli.errors import EXIT_OK, handles_errors
from optimizer.inputs.loading import load_scenario


def register(commands):
    sub = commands.add_parser(
        "validate",
        help="check a scenario's inputs",
        **described(
            "Check a scenario's inputs and report every problem as file:line: column: message "
            "(exit code 2 if any).",
            reads=[
                "SCENARIO_DIR: a scenario folder (scenario.toml and the input CSV files; "
                "`sourcing solve --help` lists them) or an .xlsx workbook; default "
                "inputs/india-2026",
            ],
            writes=[],
        ),
    )
    sub.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO_DIR",
        help="scenario folder (default: inputs/india-2026)",
    )
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    folder = scenario_folder(args.scenario)
    args.scenario_label = str(folder)
    scenario = load_scenario(folder)
    horizon = scenario.horizon
    line = (
        f"{folder}: valid: {len(scenario.materials)} materials, {len(scenario.suppliers)} "
        f"suppliers, {len(scenario.offers)} offer rows, {len(scenario.demand)} demand rows, "
        f"{len(scenario.country_caps)} cap rows; {len(scenario.processes)} processes, "
        f"{len(scenario.expansions)} expansion options, {len(scenario.contracts)} contracts; "
        f"{horizon[0]}..{horizon[-1]} ({len(horizon)} months)" + _risk_words(scenario)
    )
    say(line)
    return EXIT_OK


def _risk_words(scenario) -> str:
    """The disruption inputs, when there are any."""
    if not len(scenario.events):
        return ""
    events = f"; {len(scenario.events)} events"
    if len(scenario.risk_scenarios):
        count = scenario.risk_scenarios["scenario"].nunique()
        return events + f", {count} disruption scenarios (and base for what they leave over)"
    if scenario.settings.samples:
        return (
            events + f", {scenario.settings.samples} sampled paths (seed {scenario.settings.seed})"
        )
    return events + ", not used: no risk_scenarios.csv and no [risk] samples"
