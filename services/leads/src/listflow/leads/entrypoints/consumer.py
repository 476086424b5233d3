"""Kafka subscribers of the leads service."""

import asyncio
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from listflow.kit.dead_letters import dead_letter, decode_rows
from listflow.kit.kafka import row_batch_subscriber
from listflow.kit.logging import get_logger
from listflow.leads.bootstrap import Container
from listflow.schemas import topics
from listflow.schemas.events import ListReady
from listflow.schemas.leads import DialOutcome, LeadRowParsed
from pydantic import ValidationError

_log = get_logger(__name__)
RETRY_DELAY_S = 1.0


def register(container: Container) -> None:
    broker = container.broker
    settings = container.settings
    leads = container.leads

    @row_batch_subscriber(
        broker,
        topics.LEAD_ROWS.name,
        group_id=settings.leads_consumer_group,
        max_records=settings.leads_batch_size,
        title="leads/write-rows",
        description="Writes LeadRowParsed rows into their lead lists under the upload's "
        "duplicate scope, action and churn; answers RowOutcomes.",
    )
    async def write_rows(msg: KafkaMessage) -> None:
        records: tuple[ConsumerRecord[Any, Any], ...] = msg.raw_message
        rows, failed = await decode_rows(container.broker, records, LeadRowParsed)
        try:
            await leads.ingest_rows(rows)
            if failed:
                await leads.events.row_outcomes(failed)
        except Exception:
            # Transient: redeliver after a pause. Rows already written count once.
            _log.exception("lead batch failed, will be redelivered", rows=len(rows))
            await asyncio.sleep(RETRY_DELAY_S)
            await msg.nack()
            return
        await msg.ack()

    @broker.subscriber(
        topics.LISTS_READY.name,
        group_id=settings.leads_consumer_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        title="leads/list-ready",
        description="Queues the leads of a ready lead list for its campaigns (once each).",
    )
    async def list_ready(body: ListReady | dict[str, Any], msg: KafkaMessage) -> None:
        try:
            event = body if isinstance(body, ListReady) else ListReady.model_validate(body)
        except ValidationError:
            await dead_letter(
                container.broker,
                topics.LISTS_READY.name,
                msg.body,
                None,
                getattr(msg.raw_message, "headers", None),
                "invalid ListReady",
            )
            await msg.ack()
            return
        try:
            await leads.on_list_ready(event)
        except Exception:
            _log.exception(
                "queueing a ready list failed, will be redelivered", list_id=event.list_id
            )
            await asyncio.sleep(RETRY_DELAY_S)
            await msg.nack()
            return
        await msg.ack()

    @broker.subscriber(
        topics.DIAL_OUTCOMES.name,
        group_id=settings.leads_consumer_group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        title="leads/dial-outcomes",
        description="Applies DialOutcome from dialers: lead status, attempts, next attempt "
        "by the campaign's retry rules; a redelivered outcome changes nothing.",
    )
    async def dial_outcome(body: DialOutcome | dict[str, Any], msg: KafkaMessage) -> None:
        # The union documents DialOutcome in the AsyncAPI document while letting a malformed
        # outcome through to the dead-letter topic instead of failing in the decoder.
        try:
            outcome = body if isinstance(body, DialOutcome) else DialOutcome.model_validate(body)
        except ValidationError as exc:
            _log.warning("dial outcome rejected to DLQ", errors=exc.error_count())
            await dead_letter(
                container.broker,
                topics.DIAL_OUTCOMES.name,
                msg.body,
                None,
                getattr(msg.raw_message, "headers", None),
                f"invalid DialOutcome: {exc.error_count()} errors",
            )
            await msg.ack()
            return
        try:
            await leads.record_outcome(outcome)
        except Exception:
            _log.exception("dial outcome failed, will be redelivered", lead_id=outcome.lead_id)
            await asyncio.sleep(RETRY_DELAY_S)
            await msg.nack()
            return
        await msg.ack()
