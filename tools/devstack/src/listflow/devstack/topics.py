"""Creates every Listflow topic and its `.dlq` twin with explicit partition counts."""

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from listflow.schemas.topics import ALL_TOPICS


async def ensure_topics(bootstrap: str, wait_s: float = 60.0) -> list[str]:
    """Create missing topics (idempotent); returns the names created now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, spec.partitions if name == spec.name else 1, replication_factor=1)
            for spec in ALL_TOPICS
            for name in (spec.name, spec.dlq)
            if name not in existing
        ]
        if wanted:
            # Another process may create them at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted, timeout_ms=30000)
        return [t.name for t in wanted]
    finally:
        await admin.close()
