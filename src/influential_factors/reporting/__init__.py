"""Layer 5, reporting: figures, the paper's tables, run summaries, the report page and the docs' generated tables."""
