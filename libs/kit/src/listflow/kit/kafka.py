"""Kafka plumbing: the broker every service builds, and publishing events with their envelope."""

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.message import StreamMessage
from listflow.kit.consumers import consume_event, consume_event_batch
from listflow.schemas.envelope import headers_for
from listflow.schemas.events import Event
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


async def records_undecoded(message: StreamMessage[Any]) -> None:
    """Decoder of a batch subscriber whose handler reads `msg.raw_message` itself (and parks
    what does not decode): FastStream's own decoder would wrap and JSON-decode every record
    first, with a uuid4 each, ~8% of the contacts service's CPU in a large upload."""
    return None


def row_batch_subscriber(
    broker: KafkaBroker,
    topic: str,
    *,
    group_id: str,
    max_records: int,
    title: str,
    description: str,
    include_in_schema: bool = True,
) -> BatchSubscriber:
    """A subscriber of a row topic (contacts', leads'): batches of raw records that the handler
    decodes itself (`listflow.kit.dead_letters.decode_rows`, which parks what does not
    decode) and acknowledges once the batch's outcomes are published."""
    return broker.subscriber(
        topic,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        decoder=records_undecoded,
        title=title,
        description=description,
        include_in_schema=include_in_schema,
    )


def subscribe_events(
    broker: KafkaBroker,
    topic: str,
    model: type[M],
    process: Callable[[M], Awaitable[object]],
    *,
    group_id: str,
    title: str,
    description: str,
    failure: str,
    log_fields: Callable[[M], Mapping[str, Any]] = lambda _: {},
) -> None:
    """Subscribe `process` to one event at a time of `topic` (manual ack, from the earliest
    offset), through `listflow.kit.consumers.consume_event`: what does not validate is
    parked on the dead-letter topic, a failure of `process` is redelivered."""

    async def handle(body: Any, msg: KafkaMessage) -> None:
        await consume_event(
            body,
            msg,
            broker,
            topic=topic,
            model=model,
            process=process,
            failure=failure,
            log_fields=log_fields,
        )

    # The union documents the model in the AsyncAPI document while letting a malformed
    # event through to the dead-letter topic instead of failing in FastStream's decoder.
    handle.__annotations__["body"] = model | dict[str, Any]
    broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        title=title,
        description=description,
    )(handle)


def subscribe_event_batches(
    broker: KafkaBroker,
    topic: str,
    types: tuple[type[Event], ...],
    process: Callable[[list[Any]], Awaitable[object]],
    *,
    group_id: str,
    max_records: int,
    title: str,
    description: str,
    what: str,
    failure: str,
) -> None:
    """Subscribe `process` to batches of the events of `types` on `topic` (raw records,
    manual ack), through `listflow.kit.consumers.consume_event_batch`: each record decoded
    by its `ce_type`, what does not decode parked, other types skipped."""

    async def handle(msg: KafkaMessage) -> None:
        await consume_event_batch(msg, broker, types, process, what=what, failure=failure)

    row_batch_subscriber(
        broker,
        topic,
        group_id=group_id,
        max_records=max_records,
        title=title,
        description=description,
    )(handle)


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


@dataclass(frozen=True, slots=True)
class Encoded:
    """An event whose body is already JSON, with what its envelope needs."""

    key: str
    ce_type: str
    tenant_id: str
    body: bytes
    event_id: str | None = None
    # Headers beyond the envelope (e.g. `campaign_id` on the lead queue).
    extra: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, key: str, event: Event, event_id: str | None = None, **extra: str) -> "Encoded":
        return cls(
            key, event.ce_type, event.tenant_id, encode(event), event_id, tuple(extra.items())
        )


def encode(event: Event) -> bytes:
    # pydantic's own JSON serializer: a third of the cost of model_dump then orjson.
    return event.model_dump_json().encode()


class EventPublisher:
    """Publishes events with the CloudEvents header envelope, many at a time.

    It owns a plain aiokafka producer rather than publishing through the FastStream broker:
    the broker's per-message path (middleware, a span and a future per message) cost ~60 µs a
    row, the dearest step of an import after validation. Here a call appends its messages to
    one record batch per partition (~23 µs a row), under one span whose context every message
    carries in `traceparent`. Keys are partitioned exactly as Kafka's default partitioner does,
    so a key's events keep to one partition and stay in order.
    """

    def __init__(
        self, bootstrap: str, service: str, tracer_provider: TracerProvider | None = None
    ) -> None:
        self._source = f"listflow/{service}"
        self._bootstrap = bootstrap
        self._client_id = f"listflow-{service}-events"
        self._producer: AIOKafkaProducer | None = None
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, list[int]] = {}
        self._tracer = trace.get_tracer("listflow.kit.kafka", tracer_provider=tracer_provider)

    async def start(self) -> None:
        # aiokafka binds a producer to the running event loop, so it is made here, not in
        # __init__ (bootstrap runs before the loop does).
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            # Idempotence keeps a retried produce from writing the same batch twice.
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=512 * 1024,
            compression_type="lz4",
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("EventPublisher.start() was not awaited")
        return self._producer

    async def publish(
        self,
        topic: str,
        items: Iterable[tuple[str, Event]],
        *,
        event_ids: Sequence[str] | None = None,
    ) -> int:
        """Publish (key, event) pairs to `topic`; returns once every one is acknowledged."""
        return await self.publish_encoded(
            topic,
            (
                Encoded(
                    key,
                    event.ce_type,
                    event.tenant_id,
                    encode(event),
                    event_ids[index] if event_ids is not None else None,
                )
                for index, (key, event) in enumerate(items)
            ),
        )

    async def publish_encoded(self, topic: str, messages: Iterable[Encoded]) -> int:
        """Publish events encoded elsewhere; returns once every one is acknowledged."""
        with self._tracer.start_as_current_span(
            f"{topic} publish",
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
        ) as span:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            producer = self.producer
            partitions = await self._partitions_of(topic)
            open_batches: dict[int, BatchBuilder] = {}
            sent: list[asyncio.Future[Any]] = []
            count = 0
            for message in messages:
                headers = headers_for(
                    message.ce_type,
                    message.tenant_id,
                    source=self._source,
                    event_id=message.event_id,
                    traceparent=carrier.get("traceparent"),
                )
                raw_key = message.key.encode()
                value = message.body
                headers.update(message.extra)
                encoded = [(name, text.encode()) for name, text in headers.items()]
                partition = self._partitioner(raw_key, partitions, partitions)
                batch = open_batches.get(partition)
                if batch is None:
                    batch = open_batches[partition] = producer.create_batch()
                if not _append(batch, raw_key, value, encoded):
                    # The batch is full: send it and start the next one with this message.
                    sent.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = open_batches[partition] = producer.create_batch()
                    if not _append(batch, raw_key, value, encoded):
                        raise ValueError(f"an event of {len(value)} bytes exceeds the batch size")
                count += 1
            for partition, batch in open_batches.items():
                if batch.record_count():
                    sent.append(await producer.send_batch(batch, topic, partition=partition))
            if sent:
                await asyncio.gather(*sent)
            span.set_attribute("messaging.batch.message_count", count)
        return count

    async def publish_one(
        self, topic: str, key: str, event: Event, event_id: str | None = None
    ) -> None:
        await self.publish(topic, [(key, event)], event_ids=[event_id] if event_id else None)

    async def _partitions_of(self, topic: str) -> list[int]:
        partitions = self._partitions.get(topic)
        if partitions is None:
            found = await self.producer.partitions_for(topic)
            if not found:
                raise LookupError(f"topic {topic} does not exist")
            partitions = self._partitions[topic] = sorted(found)
        return partitions


def _append(
    batch: BatchBuilder, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
) -> bool:
    """Add a message to a record batch; False when the batch has no room left for it."""
    return batch.append(key=key, value=value, timestamp=None, headers=headers) is not None
