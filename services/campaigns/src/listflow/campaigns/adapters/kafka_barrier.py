"""The read-model barrier over Kafka: the contact changes on the topic now (its end offsets)
against what the campaigns' consumer group has committed."""

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

POLL_S = 0.2


class KafkaReadModelBarrier:
    def __init__(self, bootstrap: str, topic: str, partitions: int, group_id: str) -> None:
        self._bootstrap = bootstrap
        self._partitions = [TopicPartition(topic, p) for p in range(partitions)]
        self._group_id = group_id

    async def wait(self, limit_s: float) -> bool:
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None)
        await consumer.start()
        try:
            ends = await consumer.end_offsets(self._partitions)
        finally:
            await consumer.stop()
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            deadline = time.monotonic() + limit_s
            while True:
                committed = await admin.list_consumer_group_offsets(self._group_id)
                if all(
                    end == 0 or (tp in committed and committed[tp].offset >= end)
                    for tp, end in ends.items()
                ):
                    return True
                if time.monotonic() >= deadline:
                    return False
                await asyncio.sleep(POLL_S)
        finally:
            await admin.close()
