"""The CloudEvents-style envelope carried in Kafka headers (binary content mode)."""

from datetime import UTC, datetime
from uuid import uuid4

from listflow.schemas.events import Event

SPEC_VERSION = "1.0"


def envelope_headers(
    event: Event,
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> dict[str, str]:
    """Headers for one event. Pass a stable `event_id` where a replay must dedupe downstream."""
    return headers_for(
        event.ce_type,
        event.tenant_id,
        source=source,
        event_id=event_id,
        time=time,
        traceparent=traceparent,
    )


def headers_for(
    ce_type: str,
    tenant_id: str,
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> dict[str, str]:
    """Headers for an event already encoded elsewhere (e.g. in a worker process)."""
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": event_id or str(uuid4()),
        "ce_type": ce_type,
        "ce_source": source,
        "ce_time": (time or datetime.now(UTC)).isoformat(),
        "tenant_id": tenant_id,
        "content-type": "application/json",
    }
    if traceparent:
        headers["traceparent"] = traceparent
    return headers
