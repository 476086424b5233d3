"""Adapters to MongoDB and Kafka."""
