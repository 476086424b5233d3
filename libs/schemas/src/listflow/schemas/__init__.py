"""Listflow's shared contract: events, topic names and value types."""
