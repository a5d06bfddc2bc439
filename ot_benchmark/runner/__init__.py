"""Running reports: papermill execution, HTML rendering, output checks, provenance, atomic publishing, batches."""
