"""Kafka subscribers of the leads service."""

from faststream.kafka import KafkaMessage
from listflow.kit.consumers import consume_row_batch
from listflow.kit.kafka import row_batch_subscriber, subscribe_event_batches, subscribe_events
from listflow.leads.bootstrap import Container
from listflow.schemas import topics
from listflow.schemas.events import ContactCreated, ContactDeleted, ContactUpdated, ListReady
from listflow.schemas.leads import DialOutcome, LeadRowParsed


def register(container: Container) -> None:
    broker = container.broker
    group_id = container.settings.leads_consumer_group

    @row_batch_subscriber(
        broker,
        topics.LEAD_ROWS.name,
        group_id=group_id,
        max_records=container.settings.leads_batch_size,
        title="leads/write-rows",
        description="Writes LeadRowParsed rows into their lead lists under the upload's "
        "duplicate scope, action and churn; answers RowOutcomes.",
    )
    async def write_rows(msg: KafkaMessage) -> None:
        await consume_row_batch(
            msg,
            container.broker,
            LeadRowParsed,
            container.rows.ingest_rows,
            container.events.row_outcomes,
            failure="lead batch failed, will be redelivered",
        )

    subscribe_events(
        broker,
        topics.LISTS_READY.name,
        ListReady,
        container.queue.on_list_ready,
        group_id=group_id,
        title="leads/list-ready",
        description="Queues the leads of a ready lead list for its campaigns (once each).",
        failure="queueing a ready list failed, will be redelivered",
        log_fields=lambda event: {"list_id": event.list_id},
    )
    subscribe_events(
        broker,
        topics.DIAL_OUTCOMES.name,
        DialOutcome,
        container.outcomes.record_outcome,
        group_id=group_id,
        title="leads/dial-outcomes",
        description="Applies DialOutcome from dialers: lead status, attempts, next attempt "
        "by the campaign's retry rules; a redelivered outcome changes nothing.",
        failure="dial outcome failed, will be redelivered",
        log_fields=lambda outcome: {"lead_id": outcome.lead_id},
    )
    subscribe_event_batches(
        broker,
        topics.CONTACT_CHANGES.name,
        (ContactCreated, ContactUpdated, ContactDeleted),
        container.holds.on_contact_changes,
        group_id=group_id,
        max_records=500,
        title="leads/contact-holds",
        description="Keeps customers held by an active promise or plan (a snapshot's "
        "held_until) out of the dialer queue: the leads having their numbers are withdrawn, "
        "and queued again when a snapshot without the hold arrives.",
        what="contact change",
        failure="contact holds failed, will be redelivered",
    )
