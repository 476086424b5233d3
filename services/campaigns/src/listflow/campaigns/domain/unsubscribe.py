"""Unsubscribe tokens: the tenant and message a `/u/<token>` link names, signed so that no
one can unsubscribe another address by guessing."""

import base64
import hashlib
import hmac


def _sign(key: bytes, tenant_id: str, message_id: str) -> str:
    digest = hmac.new(key, f"unsubscribe:{tenant_id}:{message_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def make_token(key: bytes, tenant_id: str, message_id: str) -> str:
    tenant = base64.urlsafe_b64encode(tenant_id.encode()).decode().rstrip("=")
    return f"{tenant}.{message_id}.{_sign(key, tenant_id, message_id)}"


def read_token(key: bytes, token: str) -> tuple[str, str] | None:
    """(tenant id, message id) of a genuine token, else None."""
    try:
        tenant, message_id, signature = token.split(".")
        tenant_id = base64.urlsafe_b64decode(tenant + "=" * (-len(tenant) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(signature, _sign(key, tenant_id, message_id)):
        return None
    return tenant_id, message_id
