"""Standard Webhooks (HMAC-SHA256 over id, timestamp and body, refused outside a 5-minute
tolerance) on both sides: the simulators sign with `signed_headers`, the services' webhook
routes check with `verified_object`, so the payment and the SMS provider share one scheme."""

import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

__all__ = ["Webhook", "WebhookRefused", "signed_headers", "verified_object"]


class WebhookRefused(Exception):
    """The body is not signed by the provider (a forged, stale or garbled call)."""


def signed_headers(webhook: Webhook, event_id: str, body: str) -> dict[str, str]:
    """The headers a provider sends with `body`: its id, the time and the signature."""
    now = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook.sign(event_id, now, body),
    }


def verified_object(webhook: Webhook, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """The JSON object of a signed call; WebhookRefused when the signature, the timestamp or
    the JSON does not hold (the caller answers 400 or 401 and changes nothing)."""
    try:
        webhook.verify(body, dict(headers), json_parse=False)
        payload = orjson.loads(body)
    except (WebhookVerificationError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise WebhookRefused(type(exc).__name__) from exc
    if not isinstance(payload, dict):
        raise WebhookRefused("the body is no JSON object")
    return payload
