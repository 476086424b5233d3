"""Kafka subscribers of the ingest service."""

from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from listflow.ingest.bootstrap import Container
from listflow.schemas import topics
from listflow.schemas.events import RowOutcomes


def register(container: Container) -> None:
    @container.broker.subscriber(
        topics.ROW_OUTCOMES.name,
        group_id=container.settings.ingest_consumer_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="ingest/track-outcomes",
        description="Records each row's outcome once; completes uploads whose rows all have one.",
    )
    async def track_outcomes(batch: RowOutcomes, msg: KafkaMessage) -> None:
        await container.outcomes.record(batch)
