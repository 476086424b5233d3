"""Mongo and Kafka adapters of the leads service."""
