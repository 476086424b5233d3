"""The registration helpers wire a service's handler to its topic through the one consumer
pattern (FastStream's in-memory broker: only the subscriber's wiring is under test)."""

from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaBroker, TestKafkaBroker
from listflow.kit.kafka import subscribe_event_batches, subscribe_events
from listflow.schemas.envelope import headers_for
from listflow.schemas.events import ListReady
from listflow.schemas.values import Counts, TargetKind

READY = ListReady(
    tenant_id="t1",
    list_kind=TargetKind.GROUP,
    list_id="g1",
    list_name="March",
    upload_id="u1",
    counts=Counts(total=1, imported=1, updated=0, skipped=0, duplicates=0, errors=0),
    ready_at=datetime(2026, 3, 1, tzinfo=UTC),
)


async def test_an_event_reaches_its_handler_and_a_malformed_one_the_dead_letter_topic() -> None:
    broker = KafkaBroker()
    seen: list[ListReady] = []
    parked: list[Any] = []

    async def process(event: ListReady) -> None:
        seen.append(event)

    subscribe_events(
        broker,
        "lists.ready.v1",
        ListReady,
        process,
        group_id="g",
        title="test/list-ready",
        description="d",
        failure="f",
    )

    @broker.subscriber("lists.ready.v1.dlq")
    async def dead(body: Any) -> None:
        parked.append(body)

    async with TestKafkaBroker(broker) as test:
        await test.publish(READY.model_dump(mode="json"), "lists.ready.v1")
        await test.publish({"tenant_id": "t1"}, "lists.ready.v1")
    assert seen == [READY]
    assert len(parked) == 1


async def test_a_batch_of_events_reaches_its_handler_decoded_by_type() -> None:
    broker = KafkaBroker()
    batches: list[list[Any]] = []

    async def process(events: list[Any]) -> None:
        batches.append(events)

    subscribe_event_batches(
        broker,
        "lists.ready.v1",
        (ListReady,),
        process,
        group_id="g",
        max_records=10,
        title="test/ready-batches",
        description="d",
        what="ready list",
        failure="f",
    )
    async with TestKafkaBroker(broker) as test:
        await test.publish_batch(
            READY.model_dump_json().encode(),
            topic="lists.ready.v1",
            headers=headers_for(READY.ce_type, READY.tenant_id, source="test"),
        )
    assert batches == [[READY]]
