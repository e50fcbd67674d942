"""Results of a solve: tables, metrics, the re-check, summaries, writing."""
