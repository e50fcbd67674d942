"""Helpers every layer uses: months, pandas string storage, output paths."""
