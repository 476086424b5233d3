"""The one way a Listflow subscriber consumes: decode, park what never decodes on the
dead-letter topic, run the use case, and on a failure pause and nack (redeliver), else ack.

Use cases behind these wrappers are idempotent, so a batch or event redelivered after a
partial write counts once; the pause keeps a down database from spinning the consumer.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import orjson
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, KafkaMessage
from listflow.kit.dead_letters import dead_letter, decode_rows, header_dict
from listflow.kit.logging import get_logger
from listflow.schemas.events import Event, RowOutcomes, decode
from pydantic import BaseModel, ValidationError

_log = get_logger(__name__)
RETRY_DELAY_S = 1.0
E = TypeVar("E", bound=Event)
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


async def consume_event_batch(
    msg: KafkaMessage,
    broker: KafkaBroker,
    types: tuple[type[Event], ...],
    # Typed loosely: the events handed over are instances of `types`, a union mypy cannot
    # spell from a tuple of classes.
    process: Callable[[list[Any]], Awaitable[object]],
    *,
    what: str,
    failure: str,
    retry_delay: float = RETRY_DELAY_S,
) -> None:
    """One batch of events of several types (raw records, manual ack), each decoded by its
    `ce_type` header: those that do not decode are parked, those of other types skipped,
    the rest handed to `process` in order; a failure pauses and nacks the batch."""
    records: tuple[ConsumerRecord[Any, Any], ...] = msg.raw_message
    events: list[Event] = []
    for record in records:
        ce_type = header_dict(record.headers).get("ce_type", "")
        try:
            event = decode(ce_type, orjson.loads(record.value))
        except (KeyError, ValueError, ValidationError) as exc:
            _log.warning(f"{what} parked on the DLQ", topic=record.topic, offset=record.offset)
            await dead_letter(
                broker,
                record.topic,
                record.value,
                record.key,
                record.headers,
                f"undecodable {what}: {type(exc).__name__}",
            )
            continue
        if isinstance(event, types):
            events.append(event)
    try:
        await process(events)
    except Exception:
        # Transient (database or broker unavailable): redeliver the batch after a pause.
        _log.exception(failure, events=len(events))
        await asyncio.sleep(retry_delay)
        await msg.nack()
        return
    await msg.ack()


async def consume_row_batch(
    msg: KafkaMessage,
    broker: KafkaBroker,
    model: type[E],
    process: Callable[[list[E]], Awaitable[R]],
    report_failed: Callable[[list[RowOutcomes]], Awaitable[object]],
    *,
    failure: str,
    retry_delay: float = RETRY_DELAY_S,
) -> R | None:
    """One batch of row events (raw records, manual ack): rows that do not decode are parked
    and reported failed; the result of `process`, or None when the batch was nacked."""
    records: tuple[ConsumerRecord[Any, Any], ...] = msg.raw_message
    rows, failed = await decode_rows(broker, records, model)
    try:
        result = await process(rows)
        if failed:
            await report_failed(failed)
    except Exception:
        # Transient (database or broker unavailable): redeliver the batch after a pause.
        _log.exception(failure, rows=len(rows))
        await asyncio.sleep(retry_delay)
        await msg.nack()
        return None
    await msg.ack()
    return result


async def consume_event(
    body: M | dict[str, Any],
    msg: KafkaMessage,
    broker: KafkaBroker,
    *,
    topic: str,
    model: type[M],
    process: Callable[[M], Awaitable[object]],
    failure: str,
    log_fields: Callable[[M], Mapping[str, Any]] = lambda _: {},
    retry_delay: float = RETRY_DELAY_S,
) -> None:
    """One event (manual ack): one that does not validate is parked with its error count;
    a failure of `process` pauses and nacks, so the event is redelivered."""
    # The subscriber's union body documents the model in the AsyncAPI document while letting
    # a malformed event through to the dead-letter topic instead of failing in the decoder.
    try:
        event = body if isinstance(body, model) else model.model_validate(body)
    except ValidationError as exc:
        _log.warning("event rejected to DLQ", topic=topic, errors=exc.error_count())
        await dead_letter(
            broker,
            topic,
            msg.body,
            None,
            getattr(msg.raw_message, "headers", None),
            f"invalid {model.__name__}: {exc.error_count()} errors",
        )
        await msg.ack()
        return
    try:
        await process(event)
    except Exception:
        _log.exception(failure, **log_fields(event))
        await asyncio.sleep(retry_delay)
        await msg.nack()
        return
    await msg.ack()
