"""FastStream subscribers and FastAPI routers: translate, then call a handler."""
