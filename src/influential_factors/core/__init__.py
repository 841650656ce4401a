"""Layer 1, core: atomic writes of arrays, tables and JSON, what every layer above writes with (imports nothing of the package)."""
