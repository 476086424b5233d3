"""Adapters of the ingest service: MongoDB, GridFS, Kafka."""
