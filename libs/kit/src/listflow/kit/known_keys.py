"""Keys the store has known, so that a batch looks up only those some document may have.

A batch of new customers (or leads) would otherwise pay one point query per match key,
each finding nothing. Instead the batch first inserts its keys into a collection of
`_id`-only documents in one unordered `insert_many` (~15 us a key on FerretDB, against
~0.3 ms and ~1 ms of CPU for a point query): a key that goes in was never known, so no
stored document has it and it needs no lookup. The rest is looked up as before.

Sound because every writer records a document's keys here before it writes the document
(`record`): a key not known at the moment of the probe belongs to no stored document, as a
lookup at that moment would have found. Writers racing the batch are settled as after a
lookup (key claims, versions). The collection also holds keys no document ever had (a probe
records what it asks about); that only costs their lookups later.
"""

import contextlib
from collections.abc import AsyncIterator, Collection, Iterable
from datetime import UTC, datetime

from listflow.kit.mongo import Document, duplicate_key_indexes
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

# Keys probed first in a batch: if any is known, the rest are looked up instead of probed.
PROBE_SAMPLE = 50
# Keys remembered as known per process (~100 bytes each); past it the memory starts afresh.
SEEN_KNOWN_LIMIT = 200_000
BACKFILL_CHUNK = 5000


class KnownKeys:
    """The `known` collection of one store, and what this process has seen known there."""

    def __init__(
        self, known: AsyncCollection[Document], migrations: AsyncCollection[Document]
    ) -> None:
        self._known = known
        self._migrations = migrations
        # Keys this process has seen known: a key once known stays known, so these need not
        # be recorded again (on FerretDB an insert_many that meets a duplicate goes on one
        # document at a time, ~20x slower).
        self._seen: set[str] = set()

    async def record(self, key_ids: Collection[str]) -> set[str]:
        """Record keys as known; answer those that were not known until now."""
        unique = [kid for kid in dict.fromkeys(key_ids) if kid not in self._seen]
        if not unique:
            return set()
        try:
            await self._known.insert_many([{"_id": kid} for kid in unique], ordered=False)
            recorded = set(unique)
        except BulkWriteError as error:
            taken = duplicate_key_indexes(error)
            recorded = {kid for i, kid in enumerate(unique) if i not in taken}
        self.remember(unique)
        return recorded

    async def unknown(self, key_ids: Collection[str]) -> set[str]:
        """Keys no stored document has, recorded as known now. A sample goes first: if any of
        it is known already (an update file read by a process that has not seen these keys),
        the rest is not probed but looked up. On FerretDB an insert that meets a known key
        goes one document at a time, ~0.35 ms each, more than the lookups the probe would
        spare. An unprobed key is simply looked up, so this is always safe."""
        candidates = [kid for kid in key_ids if kid not in self._seen]
        sample, rest = candidates[:PROBE_SAMPLE], candidates[PROBE_SAMPLE:]
        unknown = await self.record(sample)
        if rest and len(unknown) == len(sample):
            unknown |= await self.record(rest)
        return unknown

    def remember(self, key_ids: Iterable[str]) -> None:
        """Keys seen known otherwise (those of documents a lookup found)."""
        if len(self._seen) > SEEN_KNOWN_LIMIT:
            self._seen.clear()
        self._seen.update(key_ids)

    async def backfill(self, name: str, keys_of_stored: AsyncIterator[Iterable[str]]) -> None:
        """Record the keys of documents stored before this collection existed, once (marked
        `name` in `migrations`). Runs before the service consumes anything; replicas starting
        together both run it, harmlessly."""
        if await self._migrations.find_one({"_id": name}) is not None:
            return
        chunk: list[str] = []
        async for keys in keys_of_stored:
            chunk.extend(keys)
            if len(chunk) >= BACKFILL_CHUNK:
                await self.record(chunk)
                chunk = []
        await self.record(chunk)
        with contextlib.suppress(DuplicateKeyError):
            await self._migrations.insert_one({"_id": name, "at": datetime.now(UTC)})
