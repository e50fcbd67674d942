"""Modules that moved when the package was split into layers (inputs, results, reporting): the
old names still import, with a DeprecationWarning, for one release."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "optimizer.months": "optimizer.common.months",
    "optimizer.strings": "optimizer.common.strings",
    "optimizer.output_folders": "optimizer.common.output_paths",
    "optimizer.problems": "optimizer.inputs.problems",
    "optimizer.schema": "optimizer.inputs.schema",
    "optimizer.schema_doc": "optimizer.inputs.schema_doc",
    "optimizer.reading": "optimizer.inputs.reading",
    "optimizer.settings": "optimizer.inputs.settings",
    "optimizer.validation": "optimizer.inputs.validation",
    "optimizer.scenario": "optimizer.inputs.scenario",
    "optimizer.workbook": "optimizer.inputs.workbook",
    "optimizer.synthetic": "optimizer.inputs.synthetic",
    "optimizer.diagnose": "models.diagnose",
    "optimizer.verify": "models.cbc_check",
    "optimizer.result": "optimizer.results.result",
    "optimizer.tables": "optimizer.results.tables",
    "optimizer.checks": "optimizer.results.recheck",
    "optimizer.checks_chain": "optimizer.results.recheck_chain",
    "optimizer.policy": "optimizer.results.policy_costs",
    "optimizer.summary_text": "optimizer.results.summary_text",
    "optimizer.readable": "optimizer.results.readable",
    "optimizer.output": "optimizer.results.writing",
    "optimizer.solving": "optimizer.results.solving",
    "optimizer.compare": "optimizer.results.compare",
    "optimizer.compare_text": "optimizer.results.compare_text",
    "optimizer.report": "optimizer.reporting",
    "optimizer.sweep.report": "optimizer.reporting",
    "optimizer.sweep.figures": "optimizer.sweep.point_metrics",
}


class _OldName(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old module name as a module that forwards every attribute to the new one."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # a plain module, filled in below

    def exec_module(self, module) -> None:
        new = MOVED[module.__name__]
        warnings.warn(
            f"{module.__name__} has moved to {new}; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        target = importlib.import_module(new)
        module.__dict__.update(
            {key: value for key, value in vars(target).items() if not key.startswith("__")}
        )
        module.__getattr__ = lambda name: getattr(target, name)
        module.__doc__ = target.__doc__


def install() -> None:
    """Let the old names import (once per process)."""
    if not any(isinstance(finder, _OldName) for finder in sys.meta_path):
        sys.meta_path.append(_OldName())
