"""Confirmation tokens for destructive requests: the first request answers what would be
deleted and a token; only a second request carrying that token deletes.

The token is an HMAC over the tenant, the contacts with the versions that were shown, and an
expiry, so the server stores nothing between the two requests, a token cannot be reused for
other contacts or another tenant, and a contact changed since it was shown no longer matches.
"""

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

TOKEN_TTL = timedelta(minutes=10)


def _digest(key: bytes, tenant_id: str, items: Iterable[tuple[str, int]], expires: int) -> str:
    message = "\x1f".join(
        [tenant_id, str(expires), *(f"{cid}:{version}" for cid, version in sorted(items))]
    )
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, tenant_id: str, items: Iterable[tuple[str, int]], now: datetime) -> str:
    expires = int((now + TOKEN_TTL).timestamp())
    return f"{expires}.{_digest(key, tenant_id, items, expires)}"


def verify(
    key: bytes, token: str, tenant_id: str, items: Iterable[tuple[str, int]], now: datetime
) -> bool:
    """True if `token` was issued for exactly these (id, version) pairs and has not expired."""
    expires_text, _, digest = token.partition(".")
    if not expires_text.isdigit() or int(expires_text) < now.timestamp():
        return False
    return hmac.compare_digest(digest, _digest(key, tenant_id, items, int(expires_text)))
