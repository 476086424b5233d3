"""Cross-cutting pieces shared by every Listflow service."""
