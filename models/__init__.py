"""The sourcing formulations: shared model data, a fast sparse-matrix HiGHS engine and an
algebraic Pyomo engine. Both engines read the same :class:`~models.data.ModelData` and return
the same :class:`~models.solution.Solution`."""
