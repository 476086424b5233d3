"""Kafka subscribers of the contacts service."""

import asyncio
from typing import Any

import orjson
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from listflow.contacts import handlers
from listflow.contacts.bootstrap import Container
from listflow.kit.logging import get_logger
from listflow.schemas import topics
from listflow.schemas.events import ContactRowParsed, RowOutcome, RowOutcomes
from listflow.schemas.values import RowStatus
from pydantic import ValidationError

_log = get_logger(__name__)
RETRY_DELAY_S = 1.0


def _headers(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in (record.headers or ())}


async def _dead_letter(
    container: Container, record: ConsumerRecord[Any, Any], reason: str
) -> RowOutcomes | None:
    """Park a row that can never be processed on the DLQ; report it failed if we can."""
    headers = {**_headers(record), "dlq_reason": reason[:500], "dlq_topic": record.topic}
    await container.broker.publish(
        record.value, topics.CONTACT_ROWS.dlq, key=record.key, headers=headers
    )
    try:
        raw = orjson.loads(record.value)
        return RowOutcomes(
            tenant_id=str(raw["tenant_id"]),
            upload_id=str(raw["upload_id"]),
            outcomes=(
                RowOutcome(
                    row_number=int(raw["row_number"]),
                    status=RowStatus.FAILED,
                    reason=f"the row event could not be processed ({reason[:200]}); "
                    f"it is kept on {topics.CONTACT_ROWS.dlq}",
                ),
            ),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def register(container: Container) -> None:
    broker = container.broker
    settings = container.settings

    @broker.subscriber(
        topics.CONTACT_ROWS.name,
        group_id=settings.contacts_consumer_group,
        batch=True,
        max_records=settings.contacts_batch_size,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        title="contacts/merge-rows",
        description="Merges ContactRowParsed rows into the customer base; answers RowOutcomes.",
    )
    async def merge_rows(msg: KafkaMessage) -> None:
        records: tuple[ConsumerRecord[Any, Any], ...] = msg.raw_message
        rows: list[ContactRowParsed] = []
        failed: list[RowOutcomes] = []
        for record in records:
            try:
                rows.append(ContactRowParsed.model_validate_json(record.value))
            except ValidationError as exc:
                _log.warning("row event rejected to DLQ", topic=record.topic, offset=record.offset)
                dead = await _dead_letter(
                    container, record, f"invalid event: {exc.error_count()} errors"
                )
                if dead is not None:
                    failed.append(dead)
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
