"""Kafka plumbing: the broker every service builds, and publishing events with their envelope."""

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from listflow.schemas.envelope import envelope_headers
from listflow.schemas.events import Event
from opentelemetry.sdk.trace import TracerProvider


def make_broker(
    bootstrap: str, service: str, tracer_provider: TracerProvider | None
) -> KafkaBroker:
    """A broker whose producer batches (linger) and waits for all in-sync replicas."""
    return KafkaBroker(
        bootstrap,
        client_id=f"listflow-{service}",
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        acks="all",
        # Idempotence keeps a retried produce from writing the same batch twice.
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=512 * 1024,
        compression_type="lz4",
        allow_auto_create_topics=False,
        graceful_timeout=10.0,
    )


def encode(event: Event) -> bytes:
    return orjson.dumps(event.model_dump(mode="json"))


class EventPublisher:
    """Publishes events with the CloudEvents header envelope, many at a time.

    FastStream waits for each delivery by default, which caps a loop at a few hundred
    messages a second; here every send of a batch is started first and awaited together.
    """

    def __init__(self, broker: KafkaBroker, source: str) -> None:
        self._broker = broker
        self._source = source

    async def publish(
        self,
        topic: str,
        items: Iterable[tuple[str, Event]],
        *,
        event_ids: Sequence[str] | None = None,
    ) -> int:
        """Publish (key, event) pairs to `topic`; returns once every one is acknowledged."""
        futures: list[asyncio.Future[Any]] = []
        for index, (key, event) in enumerate(items):
            headers = envelope_headers(
                event,
                source=self._source,
                event_id=event_ids[index] if event_ids is not None else None,
            )
            future = await self._broker.publish(
                encode(event), topic, key=key.encode(), headers=headers, no_confirm=True
            )
            futures.append(future)
        if futures:
            await asyncio.gather(*futures)
        return len(futures)

    async def publish_one(
        self, topic: str, key: str, event: Event, event_id: str | None = None
    ) -> None:
        await self.publish(topic, [(key, event)], event_ids=[event_id] if event_id else None)
