"""Tables derived from a scenario's inputs alone, computed once per Scenario object.

The re-check reads the same inputs in several of its checks, and again for every plan of a
sweep; what it derives from them alone (units, contract months, closing values, demand per
cell, the events' matches) is kept while the Scenario object lives, and handed out as a copy,
so no caller can change it.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_scenario(function: Callable[..., T]) -> Callable[..., T]:
    """``function(scenario)`` computed once per Scenario object (a copy each call)."""
    cache: dict[int, tuple[weakref.ref, T]] = {}

    @functools.wraps(function)
    def cached(scenario) -> T:
        key = id(scenario)
        hit = cache.get(key)
        if hit is None or hit[0]() is not scenario:
            value = function(scenario)
            hit = cache[key] = (weakref.ref(scenario, lambda _: cache.pop(key, None)), value)
        return hit[1].copy()

    return cached
