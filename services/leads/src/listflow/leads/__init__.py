"""Listflow leads: dialer lists, campaigns and the lead queue."""
