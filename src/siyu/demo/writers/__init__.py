"""One writer per platform export, sharing `table` (CSV output) and `fields` (shared values)."""
