"""HTML reports with charts for plans, comparisons and sweeps."""
