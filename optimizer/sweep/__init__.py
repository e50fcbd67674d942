"""Parameter sweeps over a base scenario: sweep files (:mod:`.spec`)."""

from optimizer.sweep.spec import Parameter, Sweep, apply_point, load_sweep

__all__ = ["Parameter", "Sweep", "apply_point", "load_sweep"]
