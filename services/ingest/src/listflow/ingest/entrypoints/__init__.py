"""FastAPI routers and FastStream subscribers of ingest."""
