"""A small reference dialer: consumes the lead queue, "dials", and reports outcomes.

It shows everything a real dialer has to get right against Listflow:

- consume `leads.queue.v1` in a consumer group; the `campaign_id` header says which
  campaign a message is for, `ce_type` whether it is LeadQueued or LeadWithdrawn;
- dial each LeadQueued once: its `ce_id` (= `queue_id`) is unique per lead, campaign,
  cycle and attempt, and delivery is at least once, so remember what you dialed;
- drop a queued lead once a LeadWithdrawn names its `queue_id`;
- never start a call after `call_window_ends_at` (the lead's legal hours);
- answer every dial with a DialOutcome on `leads.dial-outcomes.v1`, keyed by lead id,
  echoing `queue_id`, `lead_id` and `campaign_id`. Listflow schedules the retries.

Run it next to `make run` (Kafka on 127.0.0.1:9092):

    uv run python examples/dialer.py --campaign <campaign id>

The "call" is simulated: a random result after a short pause. Nothing here is Listflow
code; it needs only aiokafka.
"""

import argparse
import asyncio
import json
import random
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

QUEUE = "leads.queue.v1"
OUTCOMES = "leads.dial-outcomes.v1"
RESULTS = ["answered", "no_answer", "busy", "voicemail"]


def now() -> datetime:
    return datetime.now(UTC)


async def run(bootstrap: str, campaign: str | None, group: str, max_calls: int | None) -> None:
    consumer = AIOKafkaConsumer(
        QUEUE,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    dialed: set[str] = set()  # a real dialer keeps this in its own database
    withdrawn: set[str] = set()
    calls = 0
    try:
        async for record in consumer:
            headers = {k: v.decode() for k, v in record.headers or ()}
            if campaign and headers.get("campaign_id") != campaign:
                await consumer.commit()
                continue
            event = json.loads(record.value)
            kind = headers.get("ce_type", "").rsplit(".", 1)[-1]
            if kind == "LeadWithdrawn":
                withdrawn.add(event["queue_id"])
                print(f"withdrawn {event['queue_id']} ({event['reason']})")
            elif kind == "LeadQueued":
                queue_id = event["queue_id"]
                ends = event.get("call_window_ends_at")
                if queue_id in dialed or queue_id in withdrawn:
                    pass  # a redelivery, or no longer wanted
                elif ends and datetime.fromisoformat(ends) <= now():
                    # Too late today: report it, and Listflow queues it when the window opens.
                    await report(producer, event, headers, "failed", note="outside window")
                else:
                    result = await dial(event)
                    dialed.add(queue_id)
                    await report(producer, event, headers, result)
                    calls += 1
            # Commit only after the outcome is acknowledged: a crash redials, never loses.
            await consumer.commit()
            if max_calls is not None and calls >= max_calls:
                return
    finally:
        await consumer.stop()
        await producer.stop()


async def dial(event: dict[str, object]) -> str:
    phones = event["phones"]
    assert isinstance(phones, list)
    print(f"dialing lead {event['lead_id']} attempt {event['attempt']}: {len(phones)} number(s)")
    await asyncio.sleep(0.2)
    return random.choice(RESULTS)


async def report(
    producer: AIOKafkaProducer,
    event: dict[str, object],
    headers: dict[str, str],
    result: str,
    note: str | None = None,
) -> None:
    phones = event["phones"]
    assert isinstance(phones, list)
    outcome = {
        "tenant_id": event["tenant_id"],
        "queue_id": event["queue_id"],
        "lead_id": event["lead_id"],
        "campaign_id": event["campaign_id"],
        "result": result,
        "phone": phones[0] if phones else None,
        "dialed_at": now().isoformat(),
        "note": note,
    }
    envelope = {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_type": "listflow.leads.DialOutcome",
        "ce_source": "examples/dialer",
        "ce_time": now().isoformat(),
        "tenant_id": str(event["tenant_id"]),
        "content-type": "application/json",
    }
    await producer.send_and_wait(
        OUTCOMES,
        json.dumps(outcome).encode(),
        key=str(event["lead_id"]).encode(),
        headers=[(k, v.encode()) for k, v in envelope.items()],
    )
    print(f"  -> {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--campaign", help="only this campaign id (default: every campaign)")
    parser.add_argument("--group", default="example-dialer", help="Kafka consumer group")
    parser.add_argument("--max-calls", type=int, help="stop after this many calls")
    args = parser.parse_args()
    asyncio.run(run(args.bootstrap, args.campaign, args.group, args.max_calls))


if __name__ == "__main__":
    main()
