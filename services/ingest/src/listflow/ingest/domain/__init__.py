"""Pure rules of ingest: column mapping, normalization, row validation and file reading."""
