"""Listflow ingest: uploads, file parsing, row validation and row events."""
