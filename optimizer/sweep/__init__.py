"""Parameter sweeps over a base scenario: sweep files (:mod:`.spec`), their designs
(:mod:`.designs`), applying a point (:mod:`.points`), running (:mod:`.run`) and each point's
figures (:mod:`.point_metrics`)."""

from optimizer.sweep.points import apply_point
from optimizer.sweep.spec import Parameter, Sweep, load_sweep

__all__ = ["Parameter", "Sweep", "apply_point", "load_sweep"]
