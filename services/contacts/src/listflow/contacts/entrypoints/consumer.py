"""Kafka subscribers of the contacts service."""

import asyncio
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaMessage
from listflow.contacts import handlers
from listflow.contacts.bootstrap import Container
from listflow.kit.dead_letters import decode_rows
from listflow.kit.kafka import row_batch_subscriber
from listflow.kit.logging import get_logger
from listflow.schemas import topics
from listflow.schemas.events import ContactRowParsed

_log = get_logger(__name__)
RETRY_DELAY_S = 1.0


def register(container: Container) -> None:
    broker = container.broker
    settings = container.settings

    async def merge_rows(msg: KafkaMessage) -> None:
        records: tuple[ConsumerRecord[Any, Any], ...] = msg.raw_message
        rows, failed = await decode_rows(container.broker, records, ContactRowParsed)
        try:
            outcomes = await handlers.merge_rows(
                rows, container.repository, container.events, container.clock
            )
            if failed:
                await container.events.row_outcomes(failed)
        except Exception:
            # Transient (database or broker unavailable): redeliver the batch after a pause.
            # The handler is idempotent, so rows already written count once.
            _log.exception("batch failed, will be redelivered", rows=len(rows))
            await asyncio.sleep(RETRY_DELAY_S)
            await msg.nack()
            return
        await msg.ack()
        _log.debug("batch merged", rows=len(rows), uploads=len(outcomes))

    # Several consumers of one group in this process, each merging the batches of its own
    # partitions in order and committing them: while one waits on the database, another
    # works. The merge is safe against concurrent writers (versions and key claims), as it
    # is across processes.
    for consumer in range(settings.contacts_row_consumers):
        row_batch_subscriber(
            broker,
            topics.CONTACT_ROWS.name,
            group_id=settings.contacts_consumer_group,
            max_records=settings.contacts_batch_size,
            title="contacts/merge-rows",
            description="Merges ContactRowParsed rows into the customer base; answers RowOutcomes.",
            include_in_schema=consumer == 0,
        )(merge_rows)
