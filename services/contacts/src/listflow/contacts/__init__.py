"""Listflow contacts service: the customer base."""
