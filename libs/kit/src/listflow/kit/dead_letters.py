"""Messages a service can never process: parked on the topic's `.dlq` twin with the reason,
and, for a row of an upload, reported failed so that the upload still completes."""

from collections.abc import Sequence
from typing import Any, TypeVar

import orjson
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from listflow.kit.logging import get_logger
from listflow.schemas.events import Event, RowOutcome, RowOutcomes
from listflow.schemas.values import RowStatus
from pydantic import ValidationError

_log = get_logger(__name__)
E = TypeVar("E", bound=Event)


def header_dict(raw: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in (raw or ())}


async def dead_letter(
    broker: KafkaBroker,
    topic: str,
    value: bytes,
    key: bytes | None,
    headers: Sequence[tuple[str, bytes]] | None,
    reason: str,
) -> None:
    """Park a message unchanged on `<topic>.dlq`, with headers `dlq_reason` and `dlq_topic`."""
    await broker.publish(
        value,
        f"{topic}.dlq",
        key=key,
        headers={**header_dict(headers), "dlq_reason": reason[:500], "dlq_topic": topic},
    )


def failed_row(value: bytes, reason: str, topic: str) -> RowOutcomes | None:
    """The `failed` outcome of a parked row event, if its upload and row can still be read."""
    try:
        raw = orjson.loads(value)
        return RowOutcomes(
            tenant_id=str(raw["tenant_id"]),
            upload_id=str(raw["upload_id"]),
            outcomes=(
                RowOutcome(
                    row_number=int(raw["row_number"]),
                    status=RowStatus.FAILED,
                    reason=f"the row event could not be processed ({reason[:200]}); "
                    f"it is kept on {topic}.dlq",
                ),
            ),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


async def decode_rows(
    broker: KafkaBroker, records: Sequence[ConsumerRecord[Any, Any]], model: type[E]
) -> tuple[list[E], list[RowOutcomes]]:
    """The row events of a batch; those that do not decode are parked and reported failed."""
    rows: list[E] = []
    failed: list[RowOutcomes] = []
    for record in records:
        try:
            rows.append(model.model_validate_json(record.value))
        except ValidationError as exc:
            reason = f"invalid event: {exc.error_count()} errors"
            _log.warning("row event parked on the DLQ", topic=record.topic, offset=record.offset)
            await dead_letter(
                broker, record.topic, record.value, record.key, record.headers, reason
            )
            if (outcome := failed_row(record.value, reason, record.topic)) is not None:
                failed.append(outcome)
    return rows, failed
