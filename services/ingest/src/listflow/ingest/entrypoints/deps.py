"""Request details the ingest routes share."""

from fastapi import Request
from listflow.ingest.bootstrap import Container
from listflow.kit import container
from listflow.kit.settings import api_key_digest

container_of = container.container_of(Container)


def uploader(request: Request) -> str:
    """Who uploaded: the operator the web UI names, else which API key (never the key itself).

    `key:` and the first 12 hex digits of the key's SHA-256 tell a tenant's keys apart in the
    history, and match the digests configured in LISTFLOW_API_KEYS.
    """
    user = request.headers.get("x-listflow-user", "").strip()
    if user:
        return user[:100]
    key = request.headers.get("x-api-key", "")
    return f"key:{api_key_digest(key)[:12]}"
