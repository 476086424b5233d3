"""The one consumer pattern: decode, park what never decodes, pause and nack on a failure."""

from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from listflow.kit.consumers import consume_event, consume_row_batch
from listflow.schemas.events import RowOutcomes
from listflow.schemas.values import RowStatus
from pydantic import BaseModel


class Ping(BaseModel):
    n: int


@dataclass
class Record:
    value: bytes
    topic: str = "t.rows"
    offset: int = 0
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass
class Message:
    raw_message: Any
    body: bytes = b""
    settled: list[str] = field(default_factory=list)

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nack(self) -> None:
        self.settled.append("nack")


@dataclass
class Broker:
    published: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def publish(self, value: bytes, topic: str, **kwargs: Any) -> None:
        self.published.append((topic, kwargs["headers"]))


BAD_ROW = orjson.dumps({"tenant_id": "t", "upload_id": "u", "row_number": 3})


async def test_a_batch_is_processed_and_acked_and_its_undecodable_rows_reported_failed() -> None:
    from listflow.schemas.events import ContactRowParsed

    broker, msg = Broker(), Message(raw_message=(Record(BAD_ROW),))
    seen: list[list[Any]] = []
    failed: list[RowOutcomes] = []

    async def process(rows: list[Any]) -> str:
        seen.append(rows)
        return "done"

    async def report(outcomes: list[RowOutcomes]) -> None:
        failed.extend(outcomes)

    result = await consume_row_batch(
        msg,  # type: ignore[arg-type]
        broker,  # type: ignore[arg-type]
        ContactRowParsed,
        process,
        report,
        failure="f",
        retry_delay=0,
    )
    assert result == "done" and seen == [[]] and msg.settled == ["ack"]
    assert [topic for topic, _ in broker.published] == ["t.rows.dlq"]
    assert failed[0].outcomes[0].row_number == 3
    assert failed[0].outcomes[0].status is RowStatus.FAILED


async def test_a_failing_batch_is_nacked_and_its_failed_rows_not_yet_reported() -> None:
    from listflow.schemas.events import ContactRowParsed

    msg, failed = Message(raw_message=(Record(BAD_ROW),)), []

    async def process(rows: list[Any]) -> None:
        raise ConnectionError("database down")

    async def report(outcomes: list[RowOutcomes]) -> None:
        failed.extend(outcomes)

    result = await consume_row_batch(
        msg,  # type: ignore[arg-type]
        Broker(),  # type: ignore[arg-type]
        ContactRowParsed,
        process,
        report,
        failure="f",
        retry_delay=0,
    )
    assert result is None and msg.settled == ["nack"] and failed == []


@pytest.mark.parametrize(
    ("body", "fails", "settled", "parked"),
    [
        ({"n": 1}, False, ["ack"], False),
        (Ping(n=1), True, ["nack"], False),
        ({"n": "not a number"}, False, ["ack"], True),
    ],
)
async def test_an_event_is_processed_parked_or_redelivered(
    body: Any, fails: bool, settled: list[str], parked: bool
) -> None:
    broker, msg, seen = Broker(), Message(raw_message=Record(b"{}"), body=b"{}"), []

    async def process(event: Ping) -> None:
        seen.append(event.n)
        if fails:
            raise ConnectionError("broker down")

    await consume_event(
        body,
        msg,  # type: ignore[arg-type]
        broker,  # type: ignore[arg-type]
        topic="t.events",
        model=Ping,
        process=process,
        failure="f",
        retry_delay=0,
    )
    assert msg.settled == settled
    assert seen == ([] if parked else [1])
    if parked:
        topic, headers = broker.published[0]
        assert topic == "t.events.dlq"
        assert headers["dlq_reason"] == "invalid Ping: 1 errors"
        assert headers["dlq_topic"] == "t.events"
