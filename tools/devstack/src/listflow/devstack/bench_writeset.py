"""The write set of a new customer in `make bench` (issue 17): every document the first
upload left in the store, bulk-inserted again into empty copies of its collections (the same
indexes) one `insert_many` after another, as the storage limit writes the contacts alone.

Inserting is the cheapest way a document can be written (the services upsert, claim and
compare-and-set), so the database CPU this costs per new customer is a floor under what any
implementation of the design's writes costs: the contact, its key claims, ingest's outcome
ledger, and the read models campaigns, portal and leads keep of it. Set against what two
cores leave a row at the target rate (70% of `insert_many` of the contacts alone), it says
how much of that budget the database's share alone takes before a single line of service
code runs.
"""

import asyncio
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, IndexModel

# The collections are read at most this many documents each, as the same fraction of every
# collection, so that a 100,000-row bench does not hold every document in memory.
SAMPLE_CUSTOMERS = 20_000
INSERT_BATCH = 2000
# The read models follow the contact changes after the upload completes: the store counts as
# settled when no collection's count has moved for this long.
SETTLED_S = 3.0
SETTLE_LIMIT_S = 120.0
COPY_DATABASE = "bench_write_set"
# Index options that change what an insert costs.
_INDEX_OPTIONS = ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds")


@dataclass(frozen=True)
class _Collection:
    database: str
    name: str
    docs: list[dict[str, Any]]

    @property
    def label(self) -> str:
        return f"{self.database.removeprefix('listflow_')}.{self.name}"


async def _counts(client: AsyncMongoClient[dict[str, Any]], prefix: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for database in await client.list_database_names():
        if not database.startswith(prefix):
            continue
        for name in await client[database].list_collection_names():
            counts[f"{database}/{name}"] = await client[database][name].count_documents({})
    return counts


async def _settled_counts(client: AsyncMongoClient[dict[str, Any]], prefix: str) -> dict[str, int]:
    """The collections' counts once the consumers behind the upload (read models) are done."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_LIMIT_S
    counts = await _counts(client, prefix)
    steady_since = loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(1.0)
        now = await _counts(client, prefix)
        if now != counts:
            counts, steady_since = now, loop.time()
        elif loop.time() - steady_since >= SETTLED_S:
            break
    return counts


async def _read(
    client: AsyncMongoClient[dict[str, Any]], counts: dict[str, int], fraction: float
) -> list[_Collection]:
    collections = []
    for key, count in sorted(counts.items()):
        database, name = key.split("/", 1)
        source = client[database][name]
        take = math.ceil(count * fraction)
        docs = await source.find({}, batch_size=INSERT_BATCH).limit(take).to_list() if take else []
        collections.append(_Collection(database, name, docs))
    return collections


async def copy_indexes(source: Any, target: Any) -> Any:
    """Give the (empty) `target` collection the indexes of `source`, options included;
    returns `target`."""
    indexes = [
        IndexModel(index["key"], name=name, **{k: index[k] for k in _INDEX_OPTIONS if k in index})
        for name, index in (await source.index_information()).items()
        if name != "_id_"
    ]
    if indexes:
        await target.create_indexes(indexes)
    return target


async def insert_in_batches(target: Any, docs: list[dict[str, Any]]) -> float:
    """Seconds to insert `docs`, INSERT_BATCH to an unordered `insert_many`, one after
    another."""
    started = time.perf_counter()
    for i in range(0, len(docs), INSERT_BATCH):
        await target.insert_many(docs[i : i + INSERT_BATCH], ordered=False)
    return time.perf_counter() - started


async def _insert(
    client: AsyncMongoClient[dict[str, Any]],
    collection: _Collection,
    database_cpu_s: Callable[[], float],
) -> tuple[float, float]:
    """Seconds and database CPU seconds to insert the collection's sample again."""
    target = await copy_indexes(
        client[collection.database][collection.name], client[COPY_DATABASE][collection.label]
    )
    cpu_before = database_cpu_s()
    seconds = await insert_in_batches(target, collection.docs)
    return seconds, database_cpu_s() - cpu_before


async def write_set(
    url: str, prefix: str, customers: int, database_cpu_s: Callable[[], float]
) -> dict[str, Any]:
    """Per new customer: the documents of each collection, the database CPU to insert them,
    and the rate at which the whole set goes in one insert after another. Run once the
    upload of `customers` new customers has completed, on a store holding nothing else."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        counts = await _settled_counts(client, prefix)
        fraction = min(1.0, SAMPLE_CUSTOMERS / max(customers, 1))
        sampled = fraction * customers
        await client.drop_database(COPY_DATABASE)
        parts: dict[str, dict[str, float]] = {}
        seconds = cpu_s = 0.0
        for collection in await _read(client, counts, fraction):
            if not collection.docs:
                continue
            wall, cpu = await _insert(client, collection, database_cpu_s)
            seconds += wall
            cpu_s += cpu
            parts[collection.label] = {
                "documents_per_customer": round(len(collection.docs) / sampled, 3),
                "database_cpu_us_per_customer": round(cpu / sampled * 1e6, 1),
            }
        await client.drop_database(COPY_DATABASE)
    finally:
        await client.close()
    return {
        "customers": customers,
        "cores": len(os.sched_getaffinity(0)),
        "documents_per_customer": round(
            sum(p["documents_per_customer"] for p in parts.values()), 2
        ),
        "database_cpu_us_per_customer": round(cpu_s / sampled * 1e6, 1),
        "customers_per_s": round(sampled / seconds, 1) if seconds else None,
        "collections": parts,
    }


def write_set_lines(
    result: dict[str, Any], idle_us_per_s: float, insert_rows_per_s: float, share: float
) -> list[tuple[str, str]]:
    # The CPU a row may cost, every process together, for the pipeline to run at `share` of
    # the `insert_many` rate on the cores of the run, less what the idle stack spends a second.
    cores = result["cores"]
    budget = (cores * 1e6 - idle_us_per_s) / (share * insert_rows_per_s)
    floor = result["database_cpu_us_per_customer"]
    biggest = sorted(
        result["collections"].items(),
        key=lambda item: item[1]["database_cpu_us_per_customer"],
        reverse=True,
    )
    by_collection = ", ".join(
        f"{label} {p['documents_per_customer']:.2f} docs "
        f"{p['database_cpu_us_per_customer']:,.0f} us"
        for label, p in biggest
        if p["database_cpu_us_per_customer"] >= 1 or p["documents_per_customer"] >= 0.5
    )
    return [
        (
            "write set of a new customer, bulk-inserted again",
            f"{result['documents_per_customer']:.1f} documents, {floor:,.0f} us of database "
            f"CPU, {result['customers_per_s'] or 0:,.0f} customers/s one insert after another",
        ),
        ("  by collection", by_collection),
        (
            f"CPU a row can cost at {share:.0%} of insert_many",
            f"{budget:,.0f} us for every process ({cores} cores less the idle stack's "
            f"{idle_us_per_s:,.0f} us a second, over {share * insert_rows_per_s:,.0f} rows/s); "
            f"the write set's database CPU alone is {floor / budget:.0%} of it",
        ),
    ]
