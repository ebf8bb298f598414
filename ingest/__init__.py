"""Load, clean, split, embed and store the corpus (run as `python -m ingest`)."""
