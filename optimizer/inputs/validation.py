"""Checks of the input tables against the schema: every problem found in one pass.

Each ``check_*`` function looks at one kind of fault and records a ``Problem`` per offending row
(file, line, column, what is wrong). Parsing and checking are vectorised; only offending rows are
visited one by one.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from optimizer.common import months
from optimizer.inputs.problems import Problem
from optimizer.inputs.reading import LINE, shown
from optimizer.inputs.risk_validation import check_risk
from optimizer.inputs.schema import (
    NAME_PATTERN,
    NAME_RULE,
    TABLES,
    Field,
    Table,
    limit_text,
    number_text,
    table_fields,
)
from optimizer.inputs.settings import Settings

BLANK_MEANS_INFINITY = "inf"
BLANK_IS_ERROR = "error"
BLANK_IS_EMPTY = "empty"
NAN_WORDS = {"nan", "+nan", "-nan"}
# A capped country is one that arrivals can come from: a supplier's, or a process's (a domestic
# process's output counts for its country), existing or built by an expansion option.
COUNTRY_TABLES = ("suppliers", "processes", "expansions")
NEEDS_BOTH = "a recipe needs at least one input and one output"
NAN_MESSAGE = "NaN is not a value; leave the cell blank instead"
# A loop of recipes gaining more than this (relative) makes material from nothing; below it,
# rounding (0.8 x 1.25 = 1.0000000000000002).
LOOP_TOLERANCE = 1e-9


def check_tables(
    frames: dict[str, pd.DataFrame | None], settings: Settings | None, problems: list[Problem]
) -> dict[str, pd.DataFrame]:
    """Typed tables from text tables; problems recorded for every fault found.

    ``frames`` maps a table name of :data:`TABLES` to its text frame (with a ``_line`` column),
    or ``None`` when the file could not be read. Tables that could not be checked are absent
    from the result.
    """
    typed: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        if frame is not None:
            table = check_table(TABLES[name], frame, settings, problems)
            if table is not None:
                typed[name] = table
    check_references(typed, problems)
    check_across_tables(typed, problems)
    return typed


def check_table(
    spec: Table, frame: pd.DataFrame, settings: Settings | None, problems: list[Problem]
) -> pd.DataFrame | None:
    """One table typed column by column, or ``None`` if its columns are wrong."""
    schema = table_fields(spec.file)
    if not check_columns(spec.file, frame, schema, problems):
        return None
    lines = frame[LINE].to_numpy()
    typed = pd.DataFrame({LINE: lines})
    for field in schema:
        text = frame[field.column] if field.column in frame else pd.Series([""] * len(frame))
        typed[field.column] = parse_column(spec.file, field, text.to_numpy(), lines, problems)
    check_horizon(spec.file, typed, schema, settings, problems)
    check_duplicates(spec, frame, problems)
    return typed


def check_columns(
    file: str, frame: pd.DataFrame, schema: tuple[Field, ...], problems: list[Problem]
) -> bool:
    """Required columns are present and no column is unknown (a misspelt one, most likely)."""
    expected = [field.column for field in schema]
    present = [column for column in frame.columns if column != LINE]
    sound = True
    for field in schema:
        if field.required and field.column not in present:
            problems.append(Problem(file, 1, field.column, "required column is missing"))
            sound = False
    for column in present:
        if column not in expected:
            close = difflib.get_close_matches(column, expected, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"expected {', '.join(expected)}"
            problems.append(Problem(file, 1, shown(column), f"unknown column; {hint}"))
            sound = False
    return sound


def parse_column(
    file: str, field: Field, text: np.ndarray, lines: np.ndarray, problems: list[Problem]
) -> np.ndarray:
    """The column's typed values; blanks take the schema's meaning (NaN where 'not set').
    A value that is reported reads as blank (None) where it is text, so it is reported once."""
    text = text.astype(str)
    blank = text == ""

    def report(mask: np.ndarray, message) -> None:
        for line, value in zip(lines[mask], text[mask], strict=True):
            problems.append(Problem(file, int(line), field.column, message(shown(value))))

    if field.blank == BLANK_IS_ERROR:
        report(blank, lambda _: "is blank; a value is required")
    if field.type == "id":
        # object dtype: Python's re (Arrow strings would use RE2, whose \w is ASCII only)
        named = pd.Series(text, dtype=object).str.fullmatch(NAME_PATTERN)
        invalid = ~blank & ~named.to_numpy(dtype=bool)
        report(invalid, lambda value: f"'{value}' is not a valid name: {NAME_RULE}")
        return np.where(blank | invalid, None, text).astype(object)
    if field.type == "text":
        return np.where(blank, "" if field.blank == BLANK_IS_EMPTY else None, text).astype(object)
    if field.type == "choice":
        unknown = ~blank & ~np.isin(text, field.choices)
        report(unknown, lambda value: f"'{value}' is not one of {', '.join(field.choices)}")
        default = field.blank if field.blank in field.choices else None
        return np.where(blank, default, np.where(unknown, None, text)).astype(object)
    if field.type == "month":
        malformed = ~blank & ~pd.Series(text).str.fullmatch(months.MONTH_PATTERN).to_numpy()
        report(malformed, lambda value: f"'{value}' is not a month (YYYY-MM)")
        return np.where(blank | malformed, None, text).astype(object)
    return parse_numbers(field, text, blank, report)


def parse_numbers(field: Field, text: np.ndarray, blank: np.ndarray, report) -> np.ndarray:
    """Numbers with their bounds checked; blanks become 0, infinity or NaN as the schema says."""
    values = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=float, copy=True)
    nan_word = np.isin(np.char.lower(text), list(NAN_WORDS))
    report(nan_word, lambda _: NAN_MESSAGE)
    report(~blank & np.isnan(values) & ~nan_word, lambda v: f"'{v}' is not a number")
    check_numbers(field, values, report)
    if field.blank == BLANK_MEANS_INFINITY:
        values[blank] = np.inf
    elif _is_number(field.blank):  # "0", "20": a default value
        values[blank] = float(field.blank)
    return values


def check_numbers(field: Field, values: np.ndarray, report) -> None:
    """Numbers within the schema's bounds: finite (or +inf where a blank means unlimited), whole
    where integers are expected, between min and max. NaN (blank) is not judged here.
    ``report(mask, message)`` records ``message(value as written)`` for each masked row."""
    unlimited_allowed = field.blank == BLANK_MEANS_INFINITY
    infinite = np.isinf(values) & ~(unlimited_allowed & (values > 0))
    report(infinite, lambda v: f"'{v}' is not a finite number")
    finite = np.isfinite(values)
    if field.type == "integer":
        report(finite & (values != np.round(values)), lambda v: f"'{v}' must be a whole number")
    noun = "shares" if field.type == "share" else "values"
    if field.min is not None:
        low = limit_text(field.min)
        report(
            finite & (values < field.min),
            lambda v: f"{v} is below {low}; {noun} must be at least {low}",
        )
    if field.max is not None:
        high = limit_text(field.max)
        report(
            finite & (values > field.max),
            lambda v: f"{v} is above {high}; {noun} must be at most {high}",
        )


def check_typed_numbers(
    file: str, field: Field, values: np.ndarray, lines: np.ndarray, problems: list[Problem]
) -> None:
    """The checks of :func:`parse_numbers` on a typed column (a table changed in memory): NaN
    stands for a blank, allowed only where a blank means "not set"."""

    def report(mask: np.ndarray, message) -> None:
        if mask.any():  # the common case costs one reduction
            for line, value in zip(lines[mask], values[mask], strict=True):
                problems.append(Problem(file, int(line), field.column, message(number_text(value))))

    blank = np.isnan(values)
    if field.blank == BLANK_IS_ERROR:
        report(blank, lambda _: "is blank; a value is required")
    elif field.blank == BLANK_MEANS_INFINITY or _is_number(field.blank):
        report(blank, lambda _: NAN_MESSAGE)  # a file's blank would have read as a number
    check_numbers(field, values, report)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_horizon(
    file: str,
    typed: pd.DataFrame,
    schema: tuple[Field, ...],
    settings: Settings | None,
    problems: list[Problem],
) -> None:
    """Every month named lies inside the planning horizon (when the horizon itself is valid)."""
    if settings is None:
        return
    first, last = settings.horizon[0], settings.horizon[-1]
    for field in schema:
        if field.type != "month":
            continue
        column = typed[field.column]
        named = column.notna().to_numpy()
        labels = np.where(named, column.to_numpy(dtype=object), "").astype(str)
        outside = named & ((labels < first) | (labels > last))
        for line, value in zip(typed[LINE].to_numpy()[outside], labels[outside], strict=True):
            message = f"{value} is outside the horizon {first}..{last}"
            problems.append(Problem(file, int(line), field.column, message))


def check_duplicates(spec: Table, frame: pd.DataFrame, problems: list[Problem]) -> None:
    """No two rows share a key, compared as written: blank counts as a value (two blank-month
    offers collide), and a malformed month collides only with the same text, not with a blank."""
    key = list(spec.key)
    keys = frame.reindex(columns=[*key, LINE], fill_value="")  # an absent key column is blank
    repeated = keys.duplicated(key, keep="first").to_numpy()
    if not repeated.any():
        return
    first_line = keys.groupby(key, dropna=False, sort=False)[LINE].transform("min").to_numpy()
    described = ", ".join(key)
    for line, first in zip(keys[LINE].to_numpy()[repeated], first_line[repeated], strict=True):
        message = f"duplicate of line {first} (same {described})"
        problems.append(Problem(spec.file, int(line), None, message))


def check_references(typed: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """Every supplier and material named exists in the table that defines it."""
    by_file = {spec.file: name for name, spec in TABLES.items()}
    for name, frame in typed.items():
        spec = TABLES[name]
        for column, (target_file, target_column) in spec.references.items():
            target = typed.get(by_file[target_file])
            if target is None:
                continue  # the defining table is broken; its own problems are reported
            known = set(target[target_column].dropna())
            where = f"not in {target_file}"
            report_unknown(spec.file, frame, column, known, target_column, where, problems)


def report_unknown(
    file: str,
    frame: pd.DataFrame,
    column: str,
    known: set,
    noun: str,
    where: str,
    problems: list[Problem],
) -> None:
    """A problem for every value of ``column`` not in ``known``, with the closest known name:
    ``unknown <noun> '<value>': <where>; did you mean '...'?``."""
    values = frame[column]
    unknown = values.notna() & ~values.isin(known)
    for line, value in zip(frame.loc[unknown, LINE], values[unknown], strict=True):
        close = difflib.get_close_matches(str(value), sorted(known), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.append(
            Problem(file, int(line), column, f"unknown {noun} '{value}': {where}{hint}")
        )


# --- rules across tables ---------------------------------------------------------------------


def check_across_tables(typed: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """The rules that tie tables together beyond plain references. Each rule runs only when the
    tables it reads could be checked (a broken table reports its own problems)."""
    check_names_across_tables(typed, problems)
    check_values_across_tables(typed, problems)


def check_names_across_tables(typed: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """The rules across tables that read only names and directions, which a sweep leaves be."""
    caps, processes = typed.get("country_caps"), typed.get("processes")
    recipes, options = typed.get("process_io"), typed.get("expansions")
    if caps is not None and all(name in typed for name in COUNTRY_TABLES):
        check_cap_countries(caps, [typed[name] for name in COUNTRY_TABLES], problems)
    if processes is not None and options is not None:
        check_option_names(processes, options, problems)
        if recipes is not None:
            check_recipe_processes(recipes, processes, options, problems)
            check_recipes_complete(recipes, processes, options, problems)
    if recipes is not None:
        check_recipe_directions(recipes, problems)
    if options is not None:
        check_requirements(options, problems)


def check_values_across_tables(typed: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """The rules across tables that read numbers (or blanks, or months): the ones a sweep point
    can break."""
    materials, processes = typed.get("materials"), typed.get("processes")
    recipes, options = typed.get("process_io"), typed.get("expansions")
    contracts = typed.get("contracts")
    if materials is not None:
        check_sale_limits(materials, problems)
    if processes is not None and options is not None:
        check_new_processes(processes, options, problems)
    if recipes is not None:
        check_recipe_yields(recipes, problems)
    if contracts is not None:
        check_contracts(contracts, problems)
    check_risk(typed, problems)


def already_reported(
    frame: pd.DataFrame, file: str, column: str, problems: list[Problem]
) -> np.ndarray:
    """Rows whose ``column`` already has a problem (a bad value reads as blank: not again)."""
    lines = [p.line for p in problems if p.file == file and p.column == column]
    return frame[LINE].isin(lines).to_numpy()


def check_sale_limits(materials: pd.DataFrame, problems: list[Problem]) -> None:
    """A market limit is for selling: a material with a limit has a sale price."""
    file = TABLES["materials"].file
    limited = np.isfinite(materials["sale_limit_t_per_month"].to_numpy(dtype=float))
    unpriced = materials["sale_price_usd_per_t"].isna().to_numpy() & ~already_reported(
        materials, file, "sale_price_usd_per_t", problems
    )
    for line in materials[LINE].to_numpy()[limited & unpriced]:
        message = "a market limit needs a sale price; sale_price_usd_per_t is blank"
        problems.append(Problem(file, int(line), "sale_limit_t_per_month", message))


def check_cap_countries(
    caps: pd.DataFrame, sources: list[pd.DataFrame], problems: list[Problem]
) -> None:
    """A capped country is a supplier's, a process's or an expansion option's country."""
    known = set().union(*(set(source["country"].dropna()) for source in sources))
    files = [TABLES[name].file for name in COUNTRY_TABLES]
    where = f"not in {', '.join(files[:-1])} or {files[-1]}"
    report_unknown(TABLES["country_caps"].file, caps, "country", known, "country", where, problems)


def check_option_names(
    processes: pd.DataFrame, options: pd.DataFrame, problems: list[Problem]
) -> None:
    """An option is not named like a process: a recipe line naming it would be ambiguous."""
    clash = options["option"].isin(set(processes["process"].dropna()))
    for line, option in zip(options.loc[clash, LINE], options.loc[clash, "option"], strict=True):
        message = (
            f"'{option}' is also a process of processes.csv; recipe lines naming it would be "
            "ambiguous"
        )
        problems.append(Problem(TABLES["expansions"].file, int(line), "option", message))


def new_processes(processes: pd.DataFrame, options: pd.DataFrame) -> np.ndarray:
    """Options that create a process (one not in processes.csv) rather than expand one."""
    named = options["process"].notna()
    return (named & ~options["process"].isin(set(processes["process"].dropna()))).to_numpy()


def check_new_processes(
    processes: pd.DataFrame, options: pd.DataFrame, problems: list[Problem]
) -> None:
    """A new process has no process to take its country and operating cost from."""
    file = TABLES["expansions"].file
    new = new_processes(processes, options)
    for column in ("country", "operating_cost_usd_per_t"):
        blank = (
            new
            & options[column].isna().to_numpy()
            & ~already_reported(options, file, column, problems)
        )
        for line, process in zip(
            options[LINE].to_numpy()[blank], options["process"].to_numpy()[blank], strict=True
        ):
            message = f"is blank; a new process needs one ('{process}' is not in processes.csv)"
            problems.append(Problem(file, int(line), column, message))


def check_recipe_processes(
    recipes: pd.DataFrame, processes: pd.DataFrame, options: pd.DataFrame, problems: list[Problem]
) -> None:
    """A recipe line belongs to a process of processes.csv or to an option of expansions.csv."""
    known = set(processes["process"].dropna()) | set(options["option"].dropna())
    where = "not a process of processes.csv or an option of expansions.csv"
    report_unknown(TABLES["process_io"].file, recipes, "process", known, "process", where, problems)


def check_recipes_complete(
    recipes: pd.DataFrame, processes: pd.DataFrame, options: pd.DataFrame, problems: list[Problem]
) -> None:
    """Every process has a recipe with an input and an output; so has every option with recipe
    lines of its own (they replace its process's recipe), and every option creating a process,
    which has no recipe to take over."""
    if recipes["process"].isna().any():
        return  # a line without a process could complete any recipe
    unsure = set(recipes.loc[recipes["direction"].isna(), "process"])  # unreadable direction
    inputs = set(recipes.loc[recipes["direction"] == "input", "process"])
    outputs = set(recipes.loc[recipes["direction"] == "output", "process"])
    named = set(recipes["process"])

    def report(file: str, frame: pd.DataFrame, column: str, must: np.ndarray, what) -> None:
        names = frame[column]
        gap = (
            must
            & names.notna().to_numpy()
            & ~names.isin(unsure).to_numpy()
            & ~(names.isin(inputs) & names.isin(outputs)).to_numpy()
        )
        for line, name in zip(frame[LINE].to_numpy()[gap], names.to_numpy()[gap], strict=True):
            if name not in named:
                lacking = "recipe lines"
            else:
                lacking = "input" if name not in inputs else "output"
            message = f"{what(name)} has no {lacking} in process_io.csv; {NEEDS_BOTH}"
            problems.append(Problem(file, int(line), column, message))

    everyone = np.ones(len(processes), dtype=bool)
    report(TABLES["processes"].file, processes, "process", everyone, lambda p: f"process '{p}'")
    new = new_processes(processes, options)
    own_lines = options["option"].isin(named).to_numpy()
    creates = dict(zip(options.loc[new, "option"], options.loc[new, "process"], strict=True))

    def option(name: str) -> str:
        if name in creates:
            return f"option '{name}' (the new process '{creates[name]}')"
        return f"option '{name}'"

    report(TABLES["expansions"].file, options, "option", new | own_lines, option)


def check_recipe_directions(recipes: pd.DataFrame, problems: list[Problem]) -> None:
    """A material is not both an input and an output of one recipe."""
    key = ["process", "material"]
    known = recipes.dropna(subset=[*key, "direction"])
    first = known.groupby(key, sort=False)[[LINE, "direction"]].transform("first")
    both = (known["direction"] != first["direction"]).to_numpy()
    rows = zip(
        known[LINE].to_numpy()[both],
        known["process"].to_numpy()[both],
        known["material"].to_numpy()[both],
        first["direction"].to_numpy()[both],
        first[LINE].to_numpy()[both],
        strict=True,
    )
    for line, process, material, direction, first_line in rows:
        message = (
            f"'{material}' is already an {direction} of '{process}' on line {first_line}; "
            "a material cannot be both an input and an output of one recipe"
        )
        problems.append(Problem(TABLES["process_io"].file, int(line), "material", message))


def check_recipe_yields(recipes: pd.DataFrame, problems: list[Problem]) -> None:
    """No recipe makes material from nothing: a recipe with an output has an input of more than
    0 t/t, and no loop of recipes (oxide -> metal -> oxide) gives back more than went in.

    Recipes are grouped by the ``process`` they name, so an option's own recipe counts apart
    from its process's. A recipe with an unreadable line is not judged (its line is reported).
    """
    file = TABLES["process_io"].file
    process = recipes["process"].to_numpy(dtype=object)
    material = recipes["material"].to_numpy(dtype=object)
    direction = recipes["direction"].to_numpy(dtype=object)
    tonnes = recipes["t_per_t"].to_numpy(dtype=float)
    lines = recipes[LINE].to_numpy()
    recipe, names = pd.factorize(process)  # -1 where blank
    unsure = np.zeros(len(names) + 1, dtype=bool)  # the last slot stands for "no process"
    unsure[recipe[pd.isna(material) | pd.isna(direction) | np.isnan(tonnes)]] = True
    sure = ~unsure[recipe] & (recipe >= 0)
    inputs = np.flatnonzero(sure & (direction == "input"))
    outputs = np.flatnonzero(sure & (direction == "output") & (tonnes > 0))
    used = inputs[tonnes[inputs] > 0]
    count = len(names)
    free = (np.bincount(recipe[inputs], minlength=count) > 0) & (
        np.bincount(recipe[used], minlength=count) == 0
    )
    free &= np.bincount(recipe[outputs], minlength=count) > 0
    lonely = inputs[free[recipe[inputs]]]
    lonely = lonely[np.lexsort((lines[lonely], recipe[lonely]))]
    _, first = np.unique(recipe[lonely], return_index=True)
    for row in lonely[first]:
        message = (
            f"every input of '{process[row]}' is 0 t/t, so its outputs would come from nothing; "
            "an input needs a positive t_per_t"
        )
        problems.append(Problem(file, int(lines[row]), "t_per_t", message))
    source, target = _recipe_edges(recipe, used, outputs)
    node, _ = pd.factorize(material)
    apart = node[source] != node[target]  # one material both in and out is reported as such
    source, target = source[apart], target[apart]
    gain = tonnes[target] / tonnes[source]
    # Of several recipes from one material to another, the richest closes the worst loop.
    pair = node[source] * (int(node.max(initial=0)) + 1) + node[target]
    order = np.lexsort((lines[source], -gain, pair))
    _, first = np.unique(pair[order], return_index=True)
    best = order[first]
    source, target, gain = source[best], target[best], gain[best]
    for loop in gaining_loops(node[source], node[target], np.log(gain)):
        start = int(np.argmin(lines[source[loop]]))  # begin at the loop's first line
        loop = loop[start:] + loop[:start]
        steps = [f"1 t {material[source[loop[0]]]}"]
        for edge, amount in zip(loop, np.cumprod(gain[loop]), strict=True):
            steps.append(f"{_tonnes(amount)} t {material[target[edge]]} ({process[target[edge]]})")
        message = f"recipes make material from nothing: {' -> '.join(steps)}"
        problems.append(Problem(file, int(lines[source[loop[0]]]), "process", message))


def _recipe_edges(
    recipe: np.ndarray, inputs: np.ndarray, outputs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every (input row, output row) pair of one recipe: each input leads to each output."""
    outputs = outputs[np.argsort(recipe[outputs], kind="stable")]
    low = np.searchsorted(recipe[outputs], recipe[inputs], side="left")
    count = np.searchsorted(recipe[outputs], recipe[inputs], side="right") - low
    step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(inputs, count), outputs[np.repeat(low, count) + step]


def gaining_loops(source: np.ndarray, target: np.ndarray, log_gain: np.ndarray) -> list[list[int]]:
    """Loops of edges (positions, in order) whose gains multiply to more than 1, each once.

    Nodes are codes from 0. Loops are found as negative cycles of -log(gain) (see
    :func:`_negative_cycles`); each round then drops the richest edge of every loop found, so
    the next round can find loops that the predecessors of the last one hid."""
    found: dict[frozenset, list[int]] = {}
    active = np.ones(len(source), dtype=bool)
    for _ in range(len(source)):  # each round drops an edge
        loops = _negative_cycles(source, target, log_gain, active)
        if not loops:
            break
        for loop in loops:
            found.setdefault(frozenset(loop), loop)
            active[loop[int(np.argmax(log_gain[loop]))]] = False
    return list(found.values())


def _negative_cycles(
    source: np.ndarray, target: np.ndarray, log_gain: np.ndarray, active: np.ndarray
) -> list[list[int]]:
    """Bellman-Ford on -log(gain) over the ``active`` edges, from every node at once, on the
    nodes that can lie on a loop (ones with an edge in and an edge out, repeatedly; usually
    none): the cycles of predecessors behind the nodes still improving after n rounds."""
    n = int(max(source.max(initial=-1), target.max(initial=-1))) + 1
    alive = np.ones(n, dtype=bool)
    while True:
        live = active & alive[source] & alive[target]
        kept = alive & (np.bincount(source[live], minlength=n) > 0)
        kept &= np.bincount(target[live], minlength=n) > 0
        if (kept == alive).all():
            break
        alive = kept
    edges = np.flatnonzero(live)
    if edges.size == 0:
        return []
    position = np.cumsum(alive) - 1  # node code among the live ones
    tail, head = position[source[edges]], position[target[edges]]
    m = int(alive.sum())
    weight = np.full((m, m), np.inf)
    weight[tail, head] = -log_gain[edges]
    edge_at = np.full((m, m), -1)
    edge_at[tail, head] = edges
    distance, before = np.zeros(m), np.full(m, -1)
    for _ in range(m + 1):
        through = distance[:, None] + weight
        best = through.argmin(axis=0)
        shorter = through[best, np.arange(m)]
        better = shorter < distance - 1e-12
        if not better.any():
            return []
        distance = np.where(better, shorter, distance)
        before = np.where(better, best, before)
    ends = np.flatnonzero(better)
    for _ in range(m):  # back into the cycle each still-improving node hangs from
        ends = np.where(ends >= 0, before[ends], -1)
    loops = []
    for end in np.unique(ends[ends >= 0]):
        nodes, node = [int(end)], int(before[end])
        while node != end and node >= 0 and len(nodes) <= m:
            nodes.append(node)
            node = int(before[node])
        if node != end:
            continue
        nodes.reverse()  # before[b] = a means the edge a -> b
        following = nodes[1:] + nodes[:1]
        if -weight[nodes, following].sum() > np.log1p(LOOP_TOLERANCE):
            loops.append([int(edge_at[a, b]) for a, b in zip(nodes, following, strict=True)])
    return loops


def _tonnes(amount: float) -> str:
    """Tonnes to four significant digits, or as many more as tell a gain from 1."""
    for digits in range(4, 18):
        text = f"{amount:.{digits}g}"
        if float(text) != 1 or amount == 1:
            return text
    return repr(amount)


def check_requirements(options: pd.DataFrame, problems: list[Problem]) -> None:
    """``requires`` names another option, not one of its own exclusive group, and requirement
    chains do not loop."""
    file = TABLES["expansions"].file
    names = set(options["option"].dropna())
    report_unknown(file, options, "requires", names, "option", f"not in {file}", problems)
    requires = options["requires"]
    itself = (requires == options["option"]).to_numpy()
    for line, option in zip(options[LINE].to_numpy()[itself], requires[itself], strict=True):
        problems.append(
            Problem(file, int(line), "requires", f"option '{option}' cannot require itself")
        )
    group_of = options.drop_duplicates("option").set_index("option")["exclusive_group"]
    required_group = requires.map(group_of.dropna())
    same = (required_group.notna() & (required_group == options["exclusive_group"])).to_numpy()
    same = same & ~itself
    rows = zip(
        options[LINE].to_numpy()[same],
        options["option"].to_numpy()[same],
        requires.to_numpy()[same],
        required_group.to_numpy()[same],
        strict=True,
    )
    for line, option, required, group in rows:
        message = (
            f"'{required}' is in the same exclusive group '{group}': at most one of them is "
            f"built, so option '{option}' never could be"
        )
        problems.append(Problem(file, int(line), "requires", message))
    check_requirement_loops(options, ~itself, problems)


def check_requirement_loops(
    options: pd.DataFrame, considered: np.ndarray, problems: list[Problem]
) -> None:
    """Each loop of requirements once, at the line of its first option: a -> b -> c -> a."""
    edges = options.loc[considered & options["requires"].notna().to_numpy()]
    edges = edges.drop_duplicates("option")  # a duplicate option is reported as such
    requires = dict(zip(edges["option"], edges["requires"], strict=True))
    line_of = dict(zip(edges["option"], edges[LINE], strict=True))
    done: set[str] = set()
    for start in requires:
        path: list[str] = []
        node = start
        while node in requires and node not in done and node not in path:
            path.append(node)
            node = requires[node]
        done.update(path)
        if node in path:  # the walk came back: path[index:] is a loop
            loop = path[path.index(node) :]
            first = min(range(len(loop)), key=lambda i: line_of[loop[i]])
            loop = loop[first:] + loop[:first]
            message = f"requirements form a loop: {' -> '.join([*loop, loop[0]])}"
            problems.append(
                Problem(TABLES["expansions"].file, int(line_of[loop[0]]), "requires", message)
            )


def check_contracts(contracts: pd.DataFrame, problems: list[Problem]) -> None:
    """A contract's span runs forward and its minimum volume fits under its maximum."""
    file = TABLES["contracts"].file
    start, end = contracts["start_month"], contracts["end_month"]
    dated = start.notna() & end.notna()
    backwards = (dated & (end.where(dated, "") < start.where(dated, ""))).to_numpy()
    rows = zip(
        contracts[LINE].to_numpy()[backwards],
        end.to_numpy()[backwards],
        start.to_numpy()[backwards],
        strict=True,
    )
    for line, last, first in rows:
        message = f"{last} is before start_month {first}; a contract cannot end before it starts"
        problems.append(Problem(file, int(line), "end_month", message))
    low = contracts["min_t_per_month"].to_numpy(dtype=float)
    high = contracts["max_t_per_month"].to_numpy(dtype=float)
    above = np.isfinite(low) & np.isfinite(high) & (low > high)
    for line, least, most in zip(
        contracts[LINE].to_numpy()[above], low[above], high[above], strict=True
    ):
        message = (
            f"{least:g} is above max_t_per_month {most:g}; the take-or-pay minimum cannot "
            "exceed the maximum"
        )
        problems.append(Problem(file, int(line), "min_t_per_month", message))
