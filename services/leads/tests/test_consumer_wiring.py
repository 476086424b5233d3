"""The dial-outcome and list-ready subscribers' wiring, on FastStream's in-memory broker."""

from datetime import UTC, datetime
from typing import Any

from faststream.kafka import TestKafkaBroker
from listflow.leads.bootstrap import bootstrap
from listflow.leads.entrypoints import consumer
from listflow.schemas import topics
from listflow.schemas.events import ListReady
from listflow.schemas.leads import DialOutcome, DialResult


class RecordingLeads:
    def __init__(self) -> None:
        self.outcomes: list[DialOutcome] = []
        self.ready: list[ListReady] = []

    async def record_outcome(self, outcome: DialOutcome) -> None:
        self.outcomes.append(outcome)

    async def on_list_ready(self, event: ListReady) -> int:
        self.ready.append(event)
        return 0


async def test_outcomes_reach_the_handler_and_malformed_ones_the_dead_letter_topic() -> None:
    container = bootstrap()
    recording = RecordingLeads()
    container.outcomes = recording  # type: ignore[assignment]
    container.queue = recording  # type: ignore[assignment]
    consumer.register(container)
    parked: list[Any] = []

    @container.broker.subscriber(topics.DIAL_OUTCOMES.dlq)
    async def dead(body: dict[str, Any]) -> None:
        parked.append(body)

    good = DialOutcome(
        tenant_id="t",
        queue_id="q",
        lead_id="l",
        campaign_id="c",
        result=DialResult.BUSY,
        dialed_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    async with TestKafkaBroker(container.broker) as broker:
        await broker.publish(good.model_dump(mode="json"), topics.DIAL_OUTCOMES.name, key=b"l")
        await broker.publish({"lead_id": "l", "result": "maybe"}, topics.DIAL_OUTCOMES.name)
    assert recording.outcomes == [good]
    assert parked == [{"lead_id": "l", "result": "maybe"}]
    await container.mongo.close()
