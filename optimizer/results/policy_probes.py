"""Policy prices made exact by re-solving the model (``policy_costs.csv``'s ``price_basis``,
``saving_if_loosened_usd`` and ``entry_basis``).

A dual is one number per row. At a degenerate vertex HiGHS returns one of many, which may be the
cost of tightening, the saving of loosening, or neither; for a MIP it is the dual of the LP with
the yes/no decisions fixed, blind to a plant a change would make worth building. So the binding
caps and the stockpile floors (the ``limit`` with the largest duals, binding ones first) are
re-solved one unit tighter and one unit looser, and the unused offers closest to entering (the
``limit`` smallest relative cuts) are re-priced until the plan buys from them; every solve keeps
the yes/no decisions free and is exact (``mip_rel_gap`` 0), as is the base it is compared with.

- ``marginal_cost_usd`` = tightened optimum - base optimum: a cap one percentage point lower in
  its window only; one more month of cover for the material (its floors and its closing-credit
  limit move together, as in a solve of that scenario). ``inf`` where the tightened model has
  no plan (``price_basis`` "infeasible when tightened").
- ``saving_if_loosened_usd`` = base optimum - loosened optimum: a cap one point higher (at most
  100%); one month less cover (at least none).
- A difference within 1e-9 of the total cost (the solver's tolerances) is reported as 0.
- An offer's ``cheaper_to_enter_usd_per_t``, when re-solved: how far the price of its
  ``offers.csv`` row, in every month the row covers, must fall before the plan buys from it:
  solves found it buying at a price at most ``ENTRY_TOLERANCE`` of the offer's price below the
  entry price, and not buying at one at most as far above it.

Solves are warm: an LP from its last basis. A MIP is first solved as the LP with the base's
decisions fixed; that optimum is the answer where no other decisions can beat it (their best
plan at the base, solved once, bounds them, less what the change could save them), else branch
and cut starts from that plan.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import highspy
import numpy as np
import pandas as pd

from models import families as fam
from models.costs import arrive_cost, landed_cost
from models.data import ModelData, closing_credits, compile_scenario
from models.highs_engine import solve as solve_cold
from models.highs_warm import WarmModel, point_data
from models.mip_warm import MipWarm
from models.solution import Solution, SolveOptions, Status
from optimizer.inputs.scenario import Scenario
from optimizer.results.policy_costs import FLOOR_POLICY, FLOOR_T_UNIT, OFFER_POLICY

PROBE_LIMIT = 20  # policies, and offers, re-solved by default (``sourcing solve --probe-limit``)
# Above this many variables the default re-solves none: each warm re-solve then costs a few
# percent of the whole solve (at 387k variables a median of 146 ms, 50 ms with no iteration at
# all, against a 3.2 s cold solve; 133 of them for the default's 20 policies and 20 offers, 27 s
# in all: docs/results.md). Asked for with --probe-limit N, they run at any size.
PROBE_MAX_VARIABLES = 100_000
# Seconds of re-solving at most (``sourcing solve --probe-seconds``): a large MIP's branch and
# cut per probe would otherwise take many times the solve; the policies and offers left when
# it runs out keep their dual-based figures, labelled so.
PROBE_SECONDS = 10.0
CAP_STEP = 0.01  # one percentage point
COVER_STEP = 1.0  # one month of cover
ENTRY_TOLERANCE = 1e-3  # an entry price is settled to 0.1% of the offer's price (at least 1 USD/t)
TIED_BELOW = 5e-4  # an entry within 0.05% of the price: tied with the plan's choice (summary)
MAX_TRIALS = 10  # solves per offer before its entry price is left unsettled
COVER_FIELDS = {"stock", "floors", "below", "credits"}  # the model data a cover changes

RESOLVED = "re-solved"
RESOLVED_FREE = "re-solved, decisions free"  # a MIP: every yes/no decision free in each solve
RESOLVED_BASES = (RESOLVED, RESOLVED_FREE)
INFEASIBLE = "infeasible when tightened"  # no plan one unit tighter: marginal_cost_usd is inf
NOT_BINDING = "exact: slack of over one unit"  # the plan stays feasible one unit tighter
NEVER_ENTERS = "re-solved: not bought even at price 0"
UNSETTLED = "reduced cost; re-solves did not settle"


def default_probe_limit(variables: int) -> int:
    """How many policies and offers ``sourcing solve`` re-solves when not told."""
    return PROBE_LIMIT if variables <= PROBE_MAX_VARIABLES else 0


def probes_skipped_note(variables: int) -> str:
    """Why a large model's prices are all dual-based, in the summary's words."""
    return (
        f"none re-solved by default above {PROBE_MAX_VARIABLES:,} variables and this model has "
        f"{variables:,}; ask with --probe-limit N"
    )


def probe_policies(
    scenario: Scenario,
    data: ModelData,
    solution: Solution,
    table: pd.DataFrame,
    limit: int = PROBE_LIMIT,
    options: SolveOptions | None = None,
    seconds: float = PROBE_SECONDS,
    instance: tuple | None = None,
) -> pd.DataFrame:
    """``table`` (from ``policy_costs_table``) with the prices of up to ``limit`` policies and
    ``limit`` unused offers re-solved within ``seconds``; the rest keep their dual-based
    figures and say so. ``instance``: the engine's solved HiGHS instance and LP
    (``highs_engine.solve(keep=True)``), re-solved from its basis rather than built again."""
    if limit <= 0 or not solution.has_plan or solution.status != Status.OPTIMAL or table.empty:
        return table
    if seconds <= 0:
        return table
    prober = Prober(scenario, data, options or SolveOptions(), seconds, instance)
    if prober.objective is None:
        return table
    table = table.copy()
    _policies(prober, table, limit)
    _entries(prober, table, limit)
    return table


class Prober:
    """Exact optima of points of one model: warm re-solves with the decisions free."""

    def __init__(
        self,
        scenario: Scenario,
        data: ModelData,
        options: SolveOptions,
        seconds: float,
        instance: tuple | None = None,
    ):
        self.scenario, self.data = scenario, data
        self.deadline = time.perf_counter() + seconds
        self.options = SolveOptions(
            time_limit_s=min(options.time_limit_s or math.inf, seconds),
            mip_rel_gap=0.0,
            threads=options.threads,
        )
        # The engine's solved instance (a MIP's: the LP with its decisions fixed) is held as
        # the relaxation, its decisions remembered; re-solves start from its basis.
        adopted = None
        if instance is not None:
            adopted = WarmModel.adopt(scenario, data, self.options, *instance)
        self.mip = MipWarm.of_data(scenario, data, self.options, adopted)
        self.solves, self.decisions, self.others = 0, None, -math.inf
        self._limit()
        base = self._solve(data, changed=set())
        self.objective = base.objective if base.status == Status.OPTIMAL else None
        if self.objective is None:
            return
        self.noise = 1e-9 * max(1.0, abs(self.objective))
        self.label = RESOLVED_FREE if data.is_mip else RESOLVED
        values = self.mip.model.highs.getSolution()  # the base's plan, its decisions fixed
        self._cap_slack(values)
        if data.is_mip:
            self.decisions = (
                self.mip.integer,
                np.round(np.asarray(values.col_value)[self.mip.integer]),
            )
            self.others = self.second_best(data, changed=set())

    def expired(self) -> bool:
        return time.perf_counter() >= self.deadline

    def _limit(self) -> float:
        """What is left of the budget, as the next solve's time limit."""
        left = max(self.deadline - time.perf_counter(), 0.01)
        self.mip.limit_time(left)
        return left

    def _solve(self, point: ModelData, changed: set[str] | None, first=None, enough=None):
        proved = self.mip.solve_data(point, changed, first, enough)
        self.solves += proved.lps
        return proved.solution

    def _cap_slack(self, values: highspy.HighsSolution) -> None:
        """Each cap row's slack and window total in the base plan, in tonnes."""
        lp, caps = self.mip.model.lp, self.data.rows[fam.COUNTRY_SHARE_CAP]
        self.slack = -np.asarray(values.row_value)[lp.rows[fam.COUNTRY_SHARE_CAP]]
        total = lp.columns["total"].start + caps["total"].to_numpy(dtype=int)
        self.total = np.asarray(values.col_value)[total]

    def second_best(self, point: ModelData, changed: set[str] | None = None) -> float:
        """A lower bound on the optimum at ``point`` of any decisions but the base's (exact at
        gap 0): the MIP with a cut that flips at least one of them."""
        highs, (columns, chosen) = self.mip.model.highs, self.decisions
        ones = chosen > 0.5
        row = highs.getNumRow()
        highs.addRow(1.0 - ones.sum(), highspy.kHighsInf, len(columns), columns,
                     np.where(ones, -1.0, 1.0))  # fmt: skip
        self._limit()
        try:
            proved = self.mip.solve_data(point, changed)
        finally:
            highs.deleteRows(1, np.array([row], dtype=np.int32))
        self.solves += proved.lps
        if proved.solution.status == Status.INFEASIBLE:
            return math.inf
        return -math.inf if proved.bound is None else proved.bound

    def optimum(
        self,
        point: ModelData | None,
        others: float,
        scenario: Scenario,
        enough=None,
        changed: set[str] | None = None,
    ) -> Solution:
        """The optimum of ``point`` (``None``: ``scenario`` needs a model of its own) with the
        decisions free. ``others`` bounds from below the optimum of any decisions but the base's
        at this point: where the LP with the base's fixed reaches it, that is the optimum; so is
        that LP's plan where ``enough(plan)`` says it answers the question asked. ``changed``: the
        fields of the model data ``point`` changes, if known."""
        others = -math.inf if math.isnan(others) else others
        left = self._limit()
        if point is None:
            self.solves += 1
            options = replace(self.options, time_limit_s=left)
            return solve_cold(compile_scenario(scenario), options)
        if self.decisions is None or (others == -math.inf and enough is None):
            return self._solve(point, changed)

        def accepted(plan: Solution) -> bool:
            return plan.objective <= others or (enough is not None and enough(plan))

        return self._solve(point, changed, self.decisions[1], accepted)

    def credit_gain(self, point: ModelData | None) -> float:
        """The most a plan's closing-stock credit can grow from the base to ``point``."""
        if point is None or point.credits.empty:
            return 0.0 if point is not None else math.inf
        v0 = self.data.credits["value_usd_per_t"].to_numpy(dtype=float)
        limit0 = self.data.credits["limit_t"].to_numpy(dtype=float)
        v1 = point.credits["value_usd_per_t"].to_numpy(dtype=float)
        limit1 = point.credits["limit_t"].to_numpy(dtype=float)
        low = np.minimum(limit0, limit1)
        gains = np.maximum.reduce(
            [np.zeros_like(v0), v1 * low - v0 * limit0, v1 * limit1 - v0 * low]
        )
        return float(gains.sum())

    def change(self, solution: Solution) -> float | None:
        """``solution``'s optimum less the base's, noise cleared; ``inf`` where it has no plan,
        ``None`` where the solve did not finish."""
        if solution.status == Status.INFEASIBLE:
            return math.inf
        if solution.status != Status.OPTIMAL:
            return None
        change = solution.objective - self.objective
        return 0.0 if abs(change) <= self.noise else change


@dataclass(frozen=True)
class _Policy:
    kind: str  # country-share-cap or stockpile-floor
    index: int  # the cap row (data.caps), or the material (data.materials)
    setting: float
    column: str = "cover_months"  # a floor: the materials.csv column moved one unit


def _policies(prober: Prober, table: pd.DataFrame, limit: int) -> None:
    """Re-solve the ``limit`` policies with the largest duals, binding ones first; a cap whose
    plan has over a point of slack costs exactly nothing one point lower."""
    caps = prober.data.caps
    rows = table.index[table["policy"] == fam.COUNTRY_SHARE_CAP]
    keys = pd.MultiIndex.from_frame(caps[["material", "country", "window"]])
    cap_of = keys.get_indexer(pd.MultiIndex.from_frame(table.loc[rows, keys.names]))
    slack, total = prober.slack[cap_of], prober.total[cap_of]
    loose = slack >= CAP_STEP * total + 1e-7 * np.maximum(1.0, total)
    table.loc[rows[loose], "marginal_cost_usd"] = 0.0
    table.loc[rows[loose], "price_basis"] = NOT_BINDING
    if not prober.data.is_mip:  # an LP's optimum stays put when a slack row loosens
        table.loc[rows[loose], "saving_if_loosened_usd"] = 0.0
    floors = table.index[table["policy"] == FLOOR_POLICY]
    material_of = pd.Index(prober.data.materials).get_indexer(table.loc[floors, "material"])
    candidates = pd.DataFrame(
        {
            "row": np.concatenate([rows[~loose], floors]),
            "kind": [fam.COUNTRY_SHARE_CAP] * int((~loose).sum()) + [FLOOR_POLICY] * len(floors),
            "index": np.concatenate([cap_of[~loose], material_of]),
            "binding": np.concatenate(
                [slack[~loose] <= 1e-6 * np.maximum(1.0, total[~loose]), np.ones(len(floors))]
            ).astype(bool),
        }
    )
    candidates["size"] = table.loc[candidates["row"], "marginal_cost_usd"].abs().to_numpy()
    candidates = candidates.sort_values(["binding", "size"], ascending=False, kind="stable")
    chosen = candidates.head(limit)
    caps_chosen = chosen.loc[chosen["kind"] == fam.COUNTRY_SHARE_CAP, "index"].to_numpy()
    # Loosening each cap is a relaxation of loosening them all: one MIP bounds the other
    # decisions for every cap at once.
    others_looser = (
        prober.second_best(_caps_moved(prober.data, caps_chosen, +1), changed={"caps"})
        if prober.decisions is not None and len(caps_chosen)
        else -math.inf
    )
    for c in chosen.itertuples():
        if prober.expired():
            break  # the rest keep their dual-based figures
        column = "floor_t" if table.at[c.row, "marginal_unit"] == FLOOR_T_UNIT else "cover_months"
        policy = _Policy(c.kind, int(c.index), float(table.at[c.row, "setting"]), column)
        tighter = _probe(prober, policy, -1, prober.others)
        is_cap = policy.kind == fam.COUNTRY_SHARE_CAP
        looser = _probe(prober, policy, +1, others_looser if is_cap else -math.inf)
        if tighter is not None:
            table.at[c.row, "marginal_cost_usd"] = round(tighter, 2) + 0.0
            table.at[c.row, "price_basis"] = INFEASIBLE if math.isinf(tighter) else prober.label
        if looser is not None and math.isfinite(looser):
            table.at[c.row, "saving_if_loosened_usd"] = round(-looser, 2) + 0.0


def _caps_moved(data: ModelData, caps: np.ndarray, direction: int) -> ModelData:
    """``data`` with the cap rows ``caps`` one point higher (+1) or lower (-1), within 0..100%."""
    shares = data.caps["max_share"].to_numpy(dtype=float).copy()
    shares[caps] = np.clip(shares[caps] + direction * CAP_STEP, 0.0, 1.0)
    return data.with_numbers(caps=data.caps.assign(max_share=shares))


def _probe(prober: Prober, policy: _Policy, direction: int, others: float) -> float | None:
    """The change in the optimum with ``policy`` one unit tighter (-1) or looser (+1); None
    where it cannot move that way or the solve did not finish. ``others``: a lower bound on
    the optimum of any other decisions at the moved point, before the credit it may gain."""
    data = prober.data
    if policy.kind == fam.COUNTRY_SHARE_CAP:
        share = min(max(policy.setting + direction * CAP_STEP, 0.0), 1.0)
        if share == policy.setting:
            return None
        point = _caps_moved(data, np.array([policy.index]), direction)
        scenario, changed = prober.scenario, {"caps"}
    else:
        # tighter: one more month of cover, or one more tonne of a fixed floor
        cover = max(policy.setting - direction * COVER_STEP, 0.0)
        if cover == policy.setting:
            return None
        materials = prober.scenario.materials.copy()
        materials.iloc[policy.index, materials.columns.get_loc(policy.column)] = cover
        scenario = prober.scenario.with_changes(check=False, materials=materials)  # a probe
        point = point_data(scenario, prober.scenario, data)
        changed = COVER_FIELDS if point is not None else None
    others -= prober.credit_gain(point)
    return prober.change(prober.optimum(point, others, scenario, changed=changed))


def _entries(prober: Prober, table: pd.DataFrame, limit: int) -> None:
    """The entry price of the ``limit`` unused offers closest to entering, each an offers.csv
    row re-priced in every month it covers."""
    data, scenario = prober.data, prober.scenario
    spot = data.arrive[data.arrive["contract_k"] < 0]
    rows = table.index[table["policy"] == OFFER_POLICY]
    keys = pd.MultiIndex.from_frame(spot[["material", "supplier", "month"]])
    where = keys.get_indexer(pd.MultiIndex.from_frame(table.loc[rows, keys.names]))
    offers = pd.DataFrame(
        {
            "row": rows,
            "offer_row": spot["offer_row"].to_numpy()[where],
            "tonnes": table.loc[rows, "tonnes"].to_numpy(dtype=float),
            "cut": (
                table.loc[rows, "cheaper_to_enter_usd_per_t"] / table.loc[rows, "price_usd_per_t"]
            ).to_numpy(dtype=float),
        }
    )
    by_offer = offers.groupby("offer_row").agg(tonnes=("tonnes", "sum"), cut=("cut", "min"))
    # Offers the reduced costs call tied are probed too: with the decisions fixed, an offer
    # whose material only an unbuilt plant could use can look tied and need a large cut.
    unused = by_offer[(by_offer["tonnes"] <= 0) & by_offer["cut"].notna()]  # needs a basis
    for offer_row, cut in unused["cut"].sort_values(kind="stable").head(limit).items():
        if prober.expired():
            break  # the rest keep their reduced-cost figures
        price = float(scenario.offers["price_usd_per_t"].iloc[offer_row])
        entry, basis = _entry_price(prober, int(offer_row), price, price * (1 - cut))
        mine = offers.loc[offers["offer_row"] == offer_row, "row"]
        table.loc[mine, "entry_basis"] = basis
        if basis in RESOLVED_BASES:
            table.loc[mine, "cheaper_to_enter_usd_per_t"] = round(price - entry, 2) + 0.0
        elif basis == NEVER_ENTERS:
            table.loc[mine, "cheaper_to_enter_usd_per_t"] = np.nan


def _entry_price(prober: Prober, offer_row: int, price: float, reduced: float) -> tuple[float, str]:
    """The price at which the plan starts buying from an offers.csv row: bracketed between a
    price at which it buys (``low``) and one at which it does not (``high``, first the price
    itself), ``ENTRY_TOLERANCE`` apart. Each plan that buys says at what price it would tie the
    base (a Newton step); the first try is the reduced cost's entry price."""
    step = max(1.0, ENTRY_TOLERANCE * price)
    evaluate = _Offer(prober, offer_row, price)
    low = estimate = None
    high = price
    trial = max(min(reduced, price) - step / 2, 0.0)
    for _ in range(MAX_TRIALS):
        done, tie = evaluate(trial)
        if not done:
            return math.nan, UNSETTLED
        if tie is None:
            high = trial
            if low is None and trial == 0.0:
                return math.nan, NEVER_ENTERS
        else:
            low, estimate = trial, tie
        if low is not None and high - low <= step:
            return min(max(estimate, low), high), prober.label
        trial = _next_trial(low, high, estimate, step)
    return math.nan, UNSETTLED


def _next_trial(low: float | None, high: float, estimate: float | None, step: float) -> float:
    """Just above the price the last plan ties (expected: not bought), then just below it
    (expected: bought); halfway where neither is inside the bracket; 0 before any plan buys."""
    if low is None:
        return 0.0
    for candidate in (estimate + step / 2, estimate - step / 2):
        if low < candidate < high:
            return candidate
    return (low + high) / 2


class _Offer:
    """Solve the model with one offers.csv row at a trial price."""

    def __init__(self, prober: Prober, offer_row: int, price: float):
        self.prober, self.offer_row, self.price = prober, offer_row, price
        arrive = prober.data.arrive
        self.columns = np.flatnonzero(arrive["offer_row"].to_numpy() == offer_row)
        tariff = arrive["tariff_pct"].to_numpy(dtype=float)[self.columns]
        self.scale = float(1 + tariff[0] / 100) if len(tariff) else 1.0
        self.capacity = float(arrive["capacity_t_per_month"].to_numpy(float)[self.columns].sum())

    def __call__(self, trial: float) -> tuple[bool, float | None]:
        """Whether the solve finished, and if the plan buys from the offer, the price at which
        that plan would cost what the base does."""
        prober, self.trial = self.prober, trial
        point = self._priced(trial)
        cheaper = (self.price - trial) * self.scale * self.capacity if trial < self.price else 0
        others = prober.others - prober.credit_gain(point) - cheaper
        # A plan that buys from the offer and costs less than the base proves that the optimum
        # buys too (every plan that does not costs at least the base), whatever the decisions.
        solution = prober.optimum(
            point, others, prober.scenario, enough=self._tie, changed={"arrive", "credits"}
        )
        change = prober.change(solution)
        if change is None or math.isinf(change):
            return False, None
        return True, self._tie(solution)

    def _priced(self, trial: float) -> ModelData:
        """The model data with the offer at ``trial`` in every month it covers: its landed
        cost and, through the lowest landed price, the closing stock's value (as ``point_data``
        would give for the scenario with that price, without re-reading every table)."""
        data = self.prober.data
        arrive = data.arrive
        price = arrive["price_usd_per_t"].to_numpy(dtype=float).copy()
        price[self.columns] = trial
        tariff = arrive["tariff_pct"].to_numpy(dtype=float)
        freight = arrive["freight_usd_per_t"].to_numpy(dtype=float)
        arrive = arrive.assign(
            price_usd_per_t=price, landed_usd_per_t=landed_cost(price, tariff, freight)
        )
        arrive["arrive_cost_usd_per_t"] = arrive_cost(arrive)
        credits = closing_credits(
            self.prober.scenario, arrive, data.floors, data.materials, len(data.months)
        )
        return data.with_numbers(arrive=arrive, credits=credits)

    def _tie(self, solution: Solution) -> float | None:
        """The price at which ``solution``'s plan would cost what the base does, if it buys
        from the offer for less than the base; else None."""
        change = self.prober.change(solution)
        bought = float(solution.arrive[self.columns].sum()) if solution.has_plan else 0.0
        if change is None or not math.isfinite(change) or change >= 0 or bought <= 1e-9:
            return None
        return self.trial - change / (self.scale * bought)
