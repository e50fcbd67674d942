"""The risk figures of an out-of-sample evaluation, each with a 95% confidence interval.

The N sampled paths are independent draws (identical ones merged with their count), so:

- means (the expected cost, the expected shortfall of a material) take the normal
  approximation: mean +- 1.96 s / sqrt(N), s the standard deviation over the N draws;
- a probability (of any shortfall, of a path the plan cannot follow) takes the Wilson score
  interval, which stays inside [0, 1] and is not empty when no draw shows the event;
- the CVaR, and the objective when it weighs the CVaR, take a percentile bootstrap: the N draws
  resampled with replacement ``BOOTSTRAP`` times from a generator seeded with the evaluation's
  seed, so the interval is the same on every run;
- the worst case has no interval (a sample maximum only grows with N); beside it, the
  probability p with (1 - p)^N = 0.05: with 95% confidence a path costlier than every draw has
  at most that probability.

Figures are over the paths with a plan; the paths without one are counted apart.
"""

from __future__ import annotations

import math

import numpy as np

from models.risk_engine import cvar

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
CONFIDENCE = 0.95
BOOTSTRAP = 2000  # bootstrap resamples


def mean_interval(values: np.ndarray, counts: np.ndarray) -> dict:
    """The mean of draws (``values`` repeated ``counts`` times), with its normal interval."""
    n = float(counts.sum())
    if n == 0:
        return _figure(None)
    mean = float(counts @ values) / n
    if n < 2:
        return _figure(mean, mean, mean)
    variance = float(counts @ (values - mean) ** 2) / (n - 1)
    half = Z95 * math.sqrt(max(variance, 0.0) / n)
    return _figure(mean, mean - half, mean + half)


def wilson_interval(hits: int, n: int) -> dict:
    """A probability from ``hits`` of ``n`` draws, with its Wilson score interval."""
    if n == 0:
        return _figure(None)
    p = hits / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = 0.0 if hits == 0 else max(0.0, centre - half)  # exact at the ends (no rounding)
    high = 1.0 if hits == n else min(1.0, centre + half)
    return _figure(p, low, high)


def bootstrap_tail(
    costs: np.ndarray, counts: np.ndarray, alpha: float, weight: float, seed: int
) -> tuple[dict, dict]:
    """(CVaR at ``alpha``, expected cost + ``weight`` x CVaR), each with its percentile
    bootstrap interval over ``BOOTSTRAP`` resamples of the draws."""
    n = int(counts.sum())
    if n == 0:
        return _figure(None), _figure(None)
    probability = counts / n
    point_cvar = cvar(costs, probability, alpha)
    point_objective = float(probability @ costs) + weight * point_cvar
    rng = np.random.default_rng([seed, 20_240_611])  # the resamples: fixed by the seed
    weights = rng.multinomial(n, probability, size=BOOTSTRAP) / n  # (B, paths)
    tail = 1.0 - alpha
    if tail <= 0:
        cvars = np.where(weights > 0, costs, -np.inf).max(axis=1)
    else:
        order = np.argsort(-costs, kind="stable")  # costliest first, ties in path order
        w = weights[:, order]
        taken = np.cumsum(w, axis=1) - w
        in_tail = np.clip(np.minimum(w, tail - taken), 0.0, None)
        cvars = in_tail @ costs[order] / tail
    objectives = weights @ costs + weight * cvars
    return (
        _figure(point_cvar, *_percentiles(cvars)),
        _figure(point_objective, *_percentiles(objectives)),
    )


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    low, high = np.quantile(values, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return float(low), float(high)


def beyond_worst(n: int) -> float | None:
    """The probability p with (1 - p)^n = 1 - CONFIDENCE: with that confidence, a path costlier
    than all n draws has at most this probability."""
    return None if n == 0 else 1.0 - (1.0 - CONFIDENCE) ** (1.0 / n)


def _figure(value: float | None, low: float | None = None, high: float | None = None) -> dict:
    return {"value": value, "low": low, "high": high}
