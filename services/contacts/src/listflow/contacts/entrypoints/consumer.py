"""Kafka subscribers of the contacts service."""

from faststream.kafka import KafkaMessage
from listflow.contacts import handlers
from listflow.contacts.bootstrap import Container
from listflow.kit.consumers import consume_row_batch
from listflow.kit.kafka import row_batch_subscriber
from listflow.kit.logging import get_logger
from listflow.schemas import topics
from listflow.schemas.events import ContactRowParsed

_log = get_logger(__name__)


def register(container: Container) -> None:
    broker = container.broker
    settings = container.settings

    async def merge_rows(msg: KafkaMessage) -> None:
        outcomes = await consume_row_batch(
            msg,
            container.broker,
            ContactRowParsed,
            lambda rows: handlers.merge_rows(
                rows, container.repository, container.events, container.clock
            ),
            container.events.row_outcomes,
            failure="batch failed, will be redelivered",
        )
        if outcomes is not None:
            _log.debug("batch merged", uploads=len(outcomes))

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
