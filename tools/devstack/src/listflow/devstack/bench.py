"""`make bench`: a large upload measured end to end, next to the limits beneath it.

Everything runs on this machine against the same local Kafka and FerretDB that tests use
(its own `bench` profile, wiped first), so the ratios compare like with like.
"""

import argparse
import asyncio
import csv
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import phonenumbers
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from listflow.devstack import datagen, infra
from listflow.devstack.bench_campaigns import campaigns_lines, campaigns_phase
from listflow.devstack.bench_cpu import cpu_us_per_unit, less_idle
from listflow.devstack.bench_portal import portal_lines, portal_phase
from listflow.devstack.bench_writeset import (
    copy_indexes,
    insert_in_batches,
    write_set,
    write_set_lines,
)
from listflow.devstack.processes import ServiceProcess, running_stack, service_env
from listflow.devstack.topics import ensure_topics
from listflow.kit.mongo import gather_bounded, replace_many
from listflow.schemas.values import MatchKey
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

PROFILE = infra.PROFILES["bench"]
PORTS = PROFILE.service_ports
GATEWAY_PORT = PROFILE.gateway_port
DATABASE_PREFIX = "listflow_"
CONTACTS_DB = f"{DATABASE_PREFIX}contacts"


@dataclass
class UploadRun:
    rows: int
    upload_id: str = ""
    accepted_s: float = 0.0
    parsed_s: float | None = None
    completed_s: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    # The service process alone, without its worker processes.
    peak_rss_main_mb: dict[str, float] = field(default_factory=dict)
    # The service's processes by proportional set size: memory shared between them (the
    # interpreter, libraries, the modules ingest's row checkers inherit) is counted once.
    peak_pss_mb: dict[str, float] = field(default_factory=dict)
    # CPU time per row of each service and of the infrastructure, from upload to completion.
    cpu_us_per_row: dict[str, float] = field(default_factory=dict)

    @property
    def parse_rate(self) -> float | None:
        return self.rows / self.parsed_s if self.parsed_s else None

    @property
    def end_to_end_rate(self) -> float | None:
        return self.rows / self.completed_s if self.completed_s else None


@dataclass(frozen=True, slots=True)
class _Proc:
    ppid: int
    name: str
    cpu_s: float  # user + system, with the time of children it has reaped
    rss_mb: float


# Processes of the infrastructure, by the start of their name (PostgreSQL's backends too).
INFRA_PROCESSES = {
    "postgres": "postgresql",
    "ferretdb": "ferretdb",
    "java": "kafka",
    "mailpit": "mailpit",
}


def _processes() -> dict[int, _Proc]:
    """Every process on the machine, from /proc/<pid>/stat (fields as numbered in proc(5))."""
    tick = os.sysconf("SC_CLK_TCK")
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    found: dict[int, _Proc] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()  # fields[0] is field 3, the state
        found[int(stat.parent.name)] = _Proc(
            ppid=int(fields[1]),
            name=name,
            cpu_s=sum(int(f) for f in fields[11:15]) / tick,  # utime stime cutime cstime
            rss_mb=int(fields[21]) * page_mb,
        )
    return found


def _tree(processes: dict[int, _Proc], pid: int) -> set[int]:
    """A process and every process under it (ingest's row checkers)."""
    members = {pid}
    while found := {c for c, p in processes.items() if p.ppid in members} - members:
        members |= found
    return members & processes.keys()


def _pss_mb(pids: set[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total_kb += next(
            int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")
        )
    return total_kb / 1024


def _cpu_s(services: dict[str, ServiceProcess]) -> dict[str, float]:
    """CPU seconds used so far by each service's process tree, by the infrastructure, and by
    this process (the bench and the gateway's thread)."""
    processes = _processes()
    used: dict[str, float] = {}
    for name, service in services.items():
        assert service.process is not None
        used[name] = sum(processes[p].cpu_s for p in _tree(processes, service.process.pid))
    # Only the infrastructure this bench started (its children): other stacks on the machine
    # run their own FerretDB, PostgreSQL and Kafka.
    ours = _tree(processes, os.getpid())
    for pid in ours:
        process = processes[pid]
        part = next((v for k, v in INFRA_PROCESSES.items() if process.name.startswith(k)), None)
        if part is not None:
            used[part] = used.get(part, 0.0) + process.cpu_s
    own = os.times()
    used["bench and gateway"] = own.user + own.system
    return used


def _idle_cpu(services: dict[str, ServiceProcess], limit_s: float) -> dict[str, float]:
    """CPU microseconds a second each part spends with nothing to do (consumers polling,
    timers, the JVM): a share of every phase's CPU that grows with its wall time, not with
    its rows, so a phase stretched by a loaded machine shows more of it per row. Measured in
    5-second windows until two agree within 20% (a stack just started is still joining
    consumer groups), for at most `limit_s`."""
    deadline = time.monotonic() + limit_s
    previous: float | None = None
    while True:
        before = _cpu_s(services)
        time.sleep(IDLE_WINDOW_S)
        after = _cpu_s(services)
        rates = {k: round((after[k] - before.get(k, 0.0)) / IDLE_WINDOW_S * 1e6, 1) for k in after}
        busy = sum(rates.values())
        if previous is not None and abs(busy - previous) <= 0.2 * previous:
            return rates
        if time.monotonic() > deadline:
            return rates
        previous = busy


def _net_of_idle(run: dict[str, Any], idle: dict[str, float]) -> dict[str, float]:
    """An upload phase's CPU per row net of the idle stack's."""
    return less_idle(run["cpu_us_per_row"], idle, run["completed_s"] or 0.0, run["rows"])


def _upload(
    client: httpx.Client,
    path: Path,
    services: dict[str, ServiceProcess],
    rows: int,
    target: str = "Bench",
    wait_for_merge: bool = True,
    kind: str = "group",
) -> UploadRun:
    """Upload a file as a user would into the target named `target` (a group, or another
    `kind`) and follow it to UploadCompleted (or, without `wait_for_merge`, until ingest
    has read and published every row)."""
    cpu_before = _cpu_s(services)
    started = time.perf_counter()
    with path.open("rb") as f:
        response = client.post(
            "/v1/uploads",
            files={"file": (path.name, f, "text/csv")},
            data={"options": json.dumps({"target": {"kind": kind, "name": target}})},
        )
    response.raise_for_status()
    accepted_s = time.perf_counter() - started
    run = _follow(client, response.json()["id"], services, rows, wait_for_merge, cpu_before)
    run.accepted_s = accepted_s
    return run


def _merge_alone(
    client: httpx.Client,
    upload_id: str,
    contacts: dict[str, ServiceProcess],
    ingest: ServiceProcess,
    rows: int,
) -> UploadRun:
    """Start contacts on an upload whose rows wait in Kafka (published while it was stopped)
    and follow it from the moment contacts is started, its start-up included (its consumers
    are at work before it reports ready): its merge rate with no file being read (ingest only
    records the outcomes, and is counted)."""
    cpu_before = _cpu_s({"ingest": ingest})  # contacts' new processes start from nothing
    started = time.perf_counter()
    for process in contacts.values():
        process.start()
    for process in contacts.values():
        process.wait_ready()
    watched = {**contacts, "ingest": ingest}
    return _follow(client, upload_id, watched, rows, True, cpu_before, since=started)


# Memory is sampled this often while an upload is followed (its status every 0.25 s):
# reading every process of the machine and each service's smaps_rollup four times a second
# cost the bench ~30 ms of CPU a second, charged to "bench and gateway" and taken from the
# pipeline on a saturated machine.
MEMORY_EVERY_S = 1.0


def _follow(
    client: httpx.Client,
    upload_id: str,
    services: dict[str, ServiceProcess],
    rows: int,
    wait_for_merge: bool,
    cpu_before: dict[str, float],
    since: float | None = None,
) -> UploadRun:
    """Poll an upload, sampling the services' memory, until it ends; times from `since`
    (a `time.perf_counter()` reading), else from now."""
    run = UploadRun(rows=rows, upload_id=upload_id)
    accepted = time.perf_counter() if since is None else since
    peaks = dict.fromkeys(services, 0.0)
    pss_peaks = dict.fromkeys(services, 0.0)
    main_peaks = dict.fromkeys(services, 0.0)
    last_print = 0.0
    last_sample = -MEMORY_EVERY_S
    while True:
        elapsed = time.perf_counter() - accepted
        if elapsed - last_sample >= MEMORY_EVERY_S:
            last_sample = elapsed
            processes = _processes()
            for name, service in services.items():
                assert service.process is not None
                pid = service.process.pid
                tree = _tree(processes, pid)
                peaks[name] = max(peaks[name], sum(processes[p].rss_mb for p in tree))
                pss_peaks[name] = max(pss_peaks[name], _pss_mb(tree))
                main_peaks[name] = max(main_peaks[name], processes[pid].rss_mb)
        body = client.get(f"/v1/uploads/{upload_id}").json()
        elapsed = time.perf_counter() - accepted
        if run.parsed_s is None and body["progress"]["rows_read"] >= rows:
            run.parsed_s = elapsed
            if not wait_for_merge:
                break
        if elapsed - last_print >= 5:
            last_print = elapsed
            print(
                f"  {elapsed:6.1f}s  read {body['progress']['rows_read']:>9,}  "
                f"merged {body['progress']['processed']:>9,}  {body['progress']['percent']:5.1f}%",
                flush=True,
            )
        if body["status"] in ("completed", "failed", "cancelled"):
            run.completed_s = elapsed
            run.counts = body["counts"]
            break
        time.sleep(0.25)
    run.cpu_us_per_row = cpu_us_per_unit(cpu_before, _cpu_s(services), rows)
    run.peak_rss_mb = {k: round(v, 1) for k, v in peaks.items()}
    run.peak_rss_main_mb = {k: round(v, 1) for k, v in main_peaks.items()}
    run.peak_pss_mb = {k: round(v, 1) for k, v in pss_peaks.items()}
    return run


async def _stored_contacts(count: int) -> list[dict[str, Any]]:
    """Contacts as the service stored them in this run: the documents the limits below write."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(PROFILE.mongodb_url)
    docs = await client[CONTACTS_DB]["contacts"].find({}, batch_size=2000).limit(count).to_list()
    await client.close()
    return docs


async def _storage_limit(docs: list[dict[str, Any]], *, full: bool = True) -> dict[str, Any]:
    """The contacts the service stored, written again straight with PyMongo into a collection
    with the same indexes, as fast as this database allows (without `full`, `insert_many`
    only)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(PROFILE.mongodb_url)
    source = client[CONTACTS_DB]["contacts"]
    await client.drop_database("bench_raw")
    collection = await copy_indexes(source, client["bench_raw"]["contacts"])
    # The same documents, their own ids (random UUIDs) included. Until the fifteenth session
    # the copies had ids of their own ("raw-0", "raw-1", ...), which enter the `_id` index
    # nearly in order and went in ~10% faster than the contacts' own (the figure is still
    # printed, "fresh ids", to compare with the earlier sessions' runs).
    # (The fresh ids go first: the yardstick is not to gain from a database warmed by them.)
    fresh = await copy_indexes(source, client["bench_raw"]["contacts_fresh_ids"])
    fresh_s, fresh_cpu = await _insert_all(
        fresh, [{**d, "_id": f"raw-{i}"} for i, d in enumerate(docs)]
    )
    copies = [dict(d) for d in docs]
    insert_s, insert_cpu = await _insert_all(collection, copies)
    inserts = {
        "insert_rows_per_s": len(docs) / insert_s,
        "insert_database_cpu_us_per_row": _database_cpu(insert_cpu),
        "insert_fresh_ids_rows_per_s": len(docs) / fresh_s,
        "insert_fresh_ids_database_cpu_us_per_row": _database_cpu(fresh_cpu),
    }
    claims = await _claim_costs(client, copies)
    if not full:
        await client.drop_database("bench_raw")
        await client.close()
        return {**inserts, "claims": claims}
    # Upserts as point operations: FerretDB stalls on large multi-statement bulk upserts.
    cpu_before = _cpu_s({})
    started = time.perf_counter()
    await gather_bounded(
        collection.replace_one({"_id": d["_id"]}, {**d, "version": 2}, upsert=True) for d in copies
    )
    upsert_s = time.perf_counter() - started
    upsert_cpu = cpu_us_per_unit(cpu_before, _cpu_s({}), len(docs))
    # The same compare-and-sets a thousand to a request, as the services write them.
    cpu_before = _cpu_s({})
    started = time.perf_counter()
    await replace_many(
        collection, [({"_id": d["_id"], "version": 2}, {**d, "version": 3}) for d in copies]
    )
    bulk_s = time.perf_counter() - started
    bulk_cpu = cpu_us_per_unit(cpu_before, _cpu_s({}), len(docs))
    lookups = await _lookup_costs(client, collection, docs)
    await client.drop_database("bench_raw")
    await client.close()
    return {
        **inserts,
        "upsert_rows_per_s": len(docs) / upsert_s,
        "upsert_database_cpu_us_per_row": _database_cpu(upsert_cpu),
        "bulk_replace_rows_per_s": len(docs) / bulk_s,
        "bulk_replace_database_cpu_us_per_row": _database_cpu(bulk_cpu),
        "lookups": lookups,
        "claims": claims,
    }


async def _insert_all(
    collection: Any, docs: list[dict[str, Any]]
) -> tuple[float, dict[str, float]]:
    """Seconds and CPU per document (by part) to insert `docs`, 2,000 to a request, in turn."""
    cpu_before = _cpu_s({})
    seconds = await insert_in_batches(collection, docs)
    return seconds, cpu_us_per_unit(cpu_before, _cpu_s({}), len(docs))


# The kinds of a contact's `match_keys` entries ("tenant|kind|value") that a new contact
# claims; the others are list-filter terms (tags, groups, name words).
_CLAIMED_KINDS = frozenset(MatchKey)


async def _claim_costs(
    client: AsyncMongoClient[dict[str, Any]], copies: list[dict[str, Any]]
) -> dict[str, float]:
    """Database CPU per new contact of its key claims, two ways: as contacts claims them, one
    `key_claims` document per key (one unordered insert per 2,000 contacts' claims), and as
    a unique multikey index on a `claimed_keys` field of the contact itself (the contacts
    inserted again with the field, less the plain insert's CPU measured just before)."""
    claimed = [[k for k in d["match_keys"] if k.split("|", 2)[1] in _CLAIMED_KINDS] for d in copies]
    now = datetime.now(UTC)
    claims = client["bench_raw"]["key_claims"]
    cpu_before = _cpu_s({})
    for i in range(0, len(copies), 2000):
        await claims.insert_many(
            [
                {"_id": k, "contact_id": d["_id"], "own_key": keys[0], "claimed_at": now}
                for d, keys in zip(copies[i : i + 2000], claimed[i : i + 2000], strict=True)
                for k in keys
            ],
            ordered=False,
        )
    documents = _database_cpu(cpu_us_per_unit(cpu_before, _cpu_s({}), len(copies)))
    unique = await copy_indexes(
        client["bench_raw"]["contacts"], client["bench_raw"]["contacts_claiming"]
    )
    await unique.create_index("claimed_keys", unique=True, sparse=True)
    cpu_before = _cpu_s({})
    for i in range(0, len(copies), 2000):
        await unique.insert_many(
            [
                {**d, "claimed_keys": keys}
                for d, keys in zip(copies[i : i + 2000], claimed[i : i + 2000], strict=True)
            ],
            ordered=False,
        )
    with_index = _database_cpu(cpu_us_per_unit(cpu_before, _cpu_s({}), len(copies)))
    return {
        "keys_per_contact": sum(map(len, claimed)) / max(1, len(copies)),
        "documents_database_cpu_us_per_contact": documents,
        "unique_index_contact_database_cpu_us": with_index,
    }


# The idle stack before the first upload (`_idle_cpu`): windows of this length, for at most
# IDLE_LIMIT_S.
IDLE_WINDOW_S = 5.0
IDLE_LIMIT_S = 60.0

LOOKUP_KEYS = 20_000
# Point queries cost ~1.7 ms each on FerretDB 2: a sample this size gives a steady per-key
# figure in seconds, where all 20,000 took over half a minute and once ran into the
# driver's cancellation.
POINT_KEYS = 2_000
LOOKUP_BATCH = 1000
LOOKUP_WAYS = (
    "point query, stored keys",
    "$in of 1,000, stored keys",
    "$in of 1,000, absent keys",
    "known-keys probe, new keys",
)


async def _lookup_costs(
    client: AsyncMongoClient[dict[str, Any]],
    collection: Any,
    docs: list[dict[str, Any]],
) -> dict[str, dict[str, float]]:
    """What finding a batch's match keys costs each way the code has used: one equality query
    per key, one `$in` per 1,000 keys (of stored keys, and of keys no document has, as in a
    file of new customers), and the known-keys probe (an unordered insert of `_id`-only
    documents). Microseconds of wall time and of the database's CPU per key."""
    stored = [k for d in docs for k in d.get("match_keys", ())][:LOOKUP_KEYS]
    absent = [f"absent-{i}" for i in range(len(stored))]
    known = client["bench_raw"]["known_keys"]

    def batches(keys: list[str]) -> list[list[str]]:
        return [keys[i : i + LOOKUP_BATCH] for i in range(0, len(keys), LOOKUP_BATCH)]

    async def point(keys: list[str]) -> None:
        await gather_bounded(collection.find({"match_keys": k}, {"_id": 1}).to_list() for k in keys)

    async def in_batches(keys: list[str]) -> None:
        for batch in batches(keys):
            await collection.find({"match_keys": {"$in": batch}}, {"_id": 1}).to_list()

    async def probe(keys: list[str]) -> None:
        for batch in batches(keys):
            await known.insert_many([{"_id": k} for k in batch], ordered=False)

    ways = dict(
        zip(
            LOOKUP_WAYS,
            (
                (point, stored[:POINT_KEYS]),
                (in_batches, stored),
                (in_batches, absent),
                (probe, absent),
            ),
            strict=True,
        )
    )
    costs: dict[str, dict[str, float]] = {}
    for name, (way, keys) in ways.items():
        if not keys:
            continue
        cpu_before = _cpu_s({})
        started = time.perf_counter()
        try:
            await way(keys)
        except PyMongoError as error:  # one way failing must not cost the run its table
            print(f"[bench] lookup {name!r} failed: {error!r}", flush=True)
            continue
        wall_us = 1e6 * (time.perf_counter() - started) / len(keys)
        cpu = _database_cpu(cpu_us_per_unit(cpu_before, _cpu_s({}), len(keys)))
        costs[name] = {"wall_us_per_key": round(wall_us, 1), "database_cpu_us_per_key": cpu}
    return costs


def _database_cpu_s() -> float:
    """CPU seconds the database (FerretDB and PostgreSQL) has used so far."""
    return _database_cpu(_cpu_s({}))


def _database_cpu(cpu_us_per_row: dict[str, float]) -> float:
    """The database's share: FerretDB and the PostgreSQL beneath it."""
    return cpu_us_per_row.get("ferretdb", 0.0) + cpu_us_per_row.get("postgresql", 0.0)


async def _broker_limit(count: int, size: int) -> dict[str, float]:
    """Raw aiokafka produce and consume of `count` messages of `size` bytes."""
    topic = f"bench.raw.{secrets.token_hex(3)}"
    admin = AIOKafkaAdminClient(bootstrap_servers=PROFILE.kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=PROFILE.kafka_bootstrap,
        linger_ms=5,
        max_batch_size=512 * 1024,
        acks="all",
        compression_type="lz4",
    )
    await producer.start()
    payload = b"x" * size
    started = time.perf_counter()
    futures = [await producer.send(topic, payload, key=str(i).encode()) for i in range(count)]
    await asyncio.gather(*futures)
    produce_s = time.perf_counter() - started
    await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=PROFILE.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    received = 0
    started = time.perf_counter()
    while received < count:
        batches = await consumer.getmany(timeout_ms=1000, max_records=10000)
        received += sum(len(v) for v in batches.values())
    consume_s = time.perf_counter() - started
    await consumer.stop()
    return {"produce_msgs_per_s": count / produce_s, "consume_msgs_per_s": count / consume_s}


async def _naive(path: Path, limit: int) -> float:
    """The baseline users leave: stdlib csv, phonenumbers, one upsert per row, in order."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(PROFILE.mongodb_url)
    collection = client["bench_naive"]["contacts"]
    await collection.drop()
    started = time.perf_counter()
    done = 0
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            try:
                number = phonenumbers.parse(row["Phone"], "US")
                phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                phone = None
            await collection.replace_one(
                {"_id": row["Account number"].upper()},
                {
                    "first_name": row["First name"],
                    "last_name": row["Last name"],
                    "phone": phone,
                    "email": row["Email"],
                },
                upsert=True,
            )
            done += 1
            if done >= limit:
                break
    elapsed = time.perf_counter() - started
    await client.drop_database("bench_naive")
    await client.close()
    return done / elapsed


@contextmanager
def _profiled(services: dict[str, ServiceProcess], out_dir: Path | None) -> Iterator[None]:
    """Sample every service (and ingest's worker processes) with py-spy while the block runs."""
    if out_dir is None:
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    samplers: list[subprocess.Popen[bytes]] = []
    for name, service in services.items():
        assert service.process is not None
        samplers.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(service.process.pid),
                    "--subprocesses",
                    "--nonblocking",
                    "--rate",
                    "50",
                    "--format",
                    "raw",
                    "--output",
                    str(out_dir / f"{name}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        yield
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)
        for sampler in samplers:
            sampler.wait(30)


def _hot_spots(stacks: Path, top: int = 12) -> list[tuple[str, float]]:
    """Share of samples per function on top of the stack (where the CPU time is spent)."""
    if not stacks.exists():
        return []
    counts: Counter[str] = Counter()
    for line in stacks.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if not frames or not count.isdigit():
            continue
        leaf = frames.rsplit(";", 1)[-1]
        # "function (path/to/module.py:123)" -> "function (module.py)"
        name, _, where = leaf.partition(" (")
        module = where.rsplit(":", 1)[0].rsplit("/", 1)[-1]
        counts[f"{name} ({module})"] += int(count)
    total = sum(counts.values()) or 1
    return [(frame, round(100 * n / total, 1)) for frame, n in counts.most_common(top)]


def _end_to_end_lines(first: dict[str, Any], second: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            "end to end, new customers",
            f"{first['end_to_end_rows_per_s']:,.0f} rows/s ({first['completed_s']:.1f} s)",
        ),
        (
            "end to end, half updates",
            f"{second['end_to_end_rows_per_s']:,.0f} rows/s ({second['completed_s']:.1f} s)",
        ),
    ]


def _upload_cpu_lines(first: dict[str, Any], second: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("CPU per row, new customers", _cpu_line(first["cpu_us_per_row"])),
        ("CPU per row, half updates", _cpu_line(second["cpu_us_per_row"])),
    ]


def _table(result: dict[str, Any]) -> str:
    first, second = result["first_upload"], result["update_upload"]
    dialer = result["dialer_list_upload"]
    limits = result["limits"]
    e2e = first["end_to_end_rows_per_s"]
    database_e2e = _database_cpu(first["cpu_us_per_row"])
    rows = [
        ("rows in the first file", f"{result['rows']:,}"),
        ("contacts consumer processes", f"{result['contacts_instances']}"),
        (
            "contacts restarted before the update file",
            str(result["contacts_restarted_before_update"]),
        ),
        (
            "ingest alone: parse+validate+publish",
            f"{result['ingest_alone']['parse_rows_per_s']:,.0f} rows/s",
        ),
        ("ingest during the first upload", f"{first['parse_rows_per_s']:,.0f} rows/s"),
        (
            "preview: validate + count matches",
            f"{result['preview']['rows_per_s']:,.0f} rows/s ({result['preview']['seconds']:.1f} s)",
        ),
        (
            "contacts alone: new customers already in Kafka (from its start)",
            f"{result['contacts_alone']['merge_rows_per_s']:,.0f} rows/s",
        ),
        *_end_to_end_lines(first, second),
        (
            "peak RSS ingest: all / service process",
            f"{first['peak_rss_mb']['ingest']:.0f} / {first['peak_rss_main_mb']['ingest']:.0f} MB",
        ),
        (
            "end to end, new leads into a dialer list",
            f"{dialer['end_to_end_rows_per_s']:,.0f} rows/s ({dialer['completed_s']:.1f} s)",
        ),
        (
            "peak RSS contacts / leads",
            f"{first['peak_rss_mb']['contacts']:.0f} / {dialer['peak_rss_mb']['leads']:.0f} MB",
        ),
        (
            "peak PSS ingest (all) / contacts",
            f"{first['peak_pss_mb']['ingest']:.0f} / {first['peak_pss_mb']['contacts']:.0f} MB",
        ),
        ("storage limit: insert_many", _insert_line(limits)),
        ("storage limit: point upserts", f"{limits['upsert_rows_per_s']:,.0f} rows/s"),
        (
            "storage limit: versioned replaces, 1,000 a request",
            f"{limits['bulk_replace_rows_per_s']:,.0f} rows/s, database CPU "
            f"{limits['bulk_replace_database_cpu_us_per_row']:,.0f} us/row",
        ),
        *(
            (
                f"lookup: {way}",
                f"{c['wall_us_per_key']:,.1f} us/key, "
                f"database CPU {c['database_cpu_us_per_key']:,.1f} us/key",
            )
            for way, c in limits.get("lookups", {}).items()
        ),
        ("broker: aiokafka produce", f"{limits['produce_msgs_per_s']:,.0f} msgs/s"),
        ("broker: aiokafka consume", f"{limits['consume_msgs_per_s']:,.0f} msgs/s"),
        ("naive baseline (csv, 1 upsert/row)", f"{limits['naive_rows_per_s']:,.0f} rows/s"),
        ("end to end / storage upsert limit", f"{e2e / limits['upsert_rows_per_s']:.2f}"),
        ("end to end / storage insert_many limit", f"{e2e / limits['insert_rows_per_s']:.2f}"),
        (
            "update file / first file (end to end)",
            f"{second['end_to_end_rows_per_s'] / e2e:.2f}",
        ),
        ("end to end / naive", f"{e2e / limits['naive_rows_per_s']:.1f}x"),
        *_upload_cpu_lines(first, second),
        ("CPU per row, ingest alone", _cpu_line(result["ingest_alone"]["cpu_us_per_row"])),
        ("CPU per row, contacts alone", _cpu_line(result["contacts_alone"]["cpu_us_per_row"])),
        ("CPU per row, dialer list", _cpu_line(dialer["cpu_us_per_row"])),
        *_row_cpu_lines(result),
        (
            "database CPU per row: insert_many / upserts",
            f"{limits['insert_database_cpu_us_per_row']:,.0f} / "
            f"{limits['upsert_database_cpu_us_per_row']:,.0f} us",
        ),
        (
            "key claims, database CPU per new contact",
            _claims_line(limits),
        ),
        (
            "database CPU per row: new customers / insert_many",
            f"{database_e2e / limits['insert_database_cpu_us_per_row']:.2f}",
        ),
        *_write_set_lines(result),
        *(portal_lines(result["portal"]) if "portal" in result else ()),
        *(campaigns_lines(result["campaigns"], _cpu_line) if "campaigns" in result else ()),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows)


def _cpu_line(cpu_us_per_row: dict[str, float]) -> str:
    """CPU microseconds per row by part, largest first, and their sum (on all cores)."""
    parts = sorted(cpu_us_per_row.items(), key=lambda kv: -kv[1])
    total = sum(cpu_us_per_row.values())
    return f"{total:,.0f} us: " + ", ".join(f"{k} {v:,.0f}" for k, v in parts)


def _bench_env() -> tuple[str, dict[str, str]]:
    """A fresh API key of the bench tenant, and the environment of the services it calls."""
    key = f"lf_bench_{secrets.token_urlsafe(12)}"
    env = service_env(
        PROFILE,
        tenants={key: "bench"},
        ports=PORTS,
        database_prefix=DATABASE_PREFIX,
        extra={"LISTFLOW_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING")},
    )
    return key, env


def _ingest_only(rows: int, out_dir: Path) -> None:
    """A file streamed through ingest alone: parse+validate+publish rate and peak memory."""
    work = PROFILE.state.parent / "bench-files"
    infra.wipe(PROFILE)
    infra.up(PROFILE)
    asyncio.run(ensure_topics(PROFILE.kafka_bootstrap))
    work.mkdir(parents=True, exist_ok=True)
    print(f"generating {rows:,} rows (5% invalid, 3% in-file duplicates, mixed countries)")
    data, expected = datagen.rows(rows, seed=42, international=True)
    path = datagen.write_csv(work / "first.csv", data)
    del data
    key, env = _bench_env()
    with (
        running_stack(env, PORTS, GATEWAY_PORT, PROFILE.state / "logs") as (services, url),
        httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=600) as client,
    ):
        services["contacts"].stop()
        print(f"ingest alone (contacts stopped), {path.stat().st_size / 1e6:,.0f} MB file")
        run = _upload(client, path, {"ingest": services["ingest"]}, rows, wait_for_merge=False)
    infra.down(PROFILE)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rows": rows,
        "file_bytes": path.stat().st_size,
        "expected": asdict(expected),
        "ingest_alone": {**asdict(run), "parse_rows_per_s": run.parse_rate},
    }
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"bench-ingest-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(
        f"\n  rows                                   {rows:,}"
        f"\n  ingest alone: parse+validate+publish   {run.parse_rate or 0:,.0f} rows/s"
        f" ({run.parsed_s or 0:.1f} s)"
        f"\n  peak RSS ingest: all / service process {run.peak_rss_mb['ingest']:.0f} / "
        f"{run.peak_rss_main_mb['ingest']:.0f} MB"
        f"\n  peak PSS ingest: all                   {run.peak_pss_mb['ingest']:.0f} MB"
        f"\n\nwritten to {out}"
    )


def _portal_only(out_dir: Path, *, profile: bool = False) -> None:
    """The portal phase alone on a fresh stack (BENCH_PORTAL_ONLY=1): no upload phases;
    with `profile`, the portal sampled by py-spy while wrk runs."""
    profile_dir = out_dir / f"profile-portal-{datetime.now(UTC):%Y%m%dT%H%M%S}" if profile else None
    infra.wipe(PROFILE)
    infra.up(PROFILE)
    asyncio.run(ensure_topics(PROFILE.kafka_bootstrap))
    key, env = _bench_env()
    try:
        with (
            running_stack(env, PORTS, GATEWAY_PORT, PROFILE.state / "logs") as (services, url),
            httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=600) as client,
        ):
            _phase("portal pages under wrk (ID&V, accounts)")
            with _profiled({"portal": services["portal"]}, profile_dir):
                portal = portal_phase(
                    client,
                    f"http://127.0.0.1:{PORTS['portal']}",
                    lambda: _cpu_s({"portal": services["portal"]})["portal"],
                )
    finally:
        infra.down(PROFILE)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "portal": portal,
    }
    hot_spots = _hot_spots(profile_dir / "portal.txt", top=25) if profile_dir else []
    if profile_dir is not None:
        result["hot_spots"] = {"portal": hot_spots}
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"bench-portal-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    rows = portal_lines(portal)
    for frame, share in hot_spots:
        rows.append((f"portal hot spot {share:.1f}%", frame))
    width = max(len(k) for k, _ in rows)
    print("\n" + "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows))
    print(f"\nwritten to {out}")


def _campaigns_only(out_dir: Path) -> None:
    """The campaigns phase alone on a fresh stack (BENCH_CAMPAIGNS_ONLY=1)."""
    infra.wipe(PROFILE)
    infra.up(PROFILE)
    asyncio.run(ensure_topics(PROFILE.kafka_bootstrap))
    key, env = _bench_env()
    try:
        with (
            running_stack(env, PORTS, GATEWAY_PORT, PROFILE.state / "logs") as (services, url),
            httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=600) as client,
        ):
            _phase("idle stack (CPU a second of each part, once settled)")
            idle = _idle_cpu(services, IDLE_LIMIT_S)
            print(f"  {_cpu_line(idle)}", flush=True)
            _phase("email campaign on ListReady, to Mailpit")
            campaigns = _campaigns_phase(client, services, idle)
    finally:
        infra.down(PROFILE)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "campaigns": campaigns,
    }
    out_dir.mkdir(exist_ok=True)
    out = out_dir / f"bench-campaigns-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    rows = campaigns_lines(campaigns, _cpu_line)
    width = max(len(k) for k, _ in rows)
    print("\n" + "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows))
    print(f"\nwritten to {out}")


def _campaigns_phase(
    client: httpx.Client, services: dict[str, ServiceProcess], idle: dict[str, float]
) -> dict[str, Any]:
    return campaigns_phase(
        client, PROFILE, lambda: _cpu_s(services), idle, PROFILE.state.parent / "bench-files"
    )


# The targets (issue 17), as ratios of figures measured in the same run.
TARGETS = {
    "end to end, new customers / insert_many": 0.70,
    "update file / new customers": 0.70,
}
PREVIEW_TARGET_ROWS_PER_S = 10_000


def _preview(
    client: httpx.Client, path: Path, rows: int, services: dict[str, ServiceProcess]
) -> dict[str, Any]:
    """The file uploaded without a target (it waits), then previewed: every row validated
    and its match value counted against the stored contacts. Timed by the preview's own
    start and end (poll-free); CPU per row of ingest, contacts and the store over the same
    span (the upload itself excluded)."""
    with path.open("rb") as f:
        response = client.post(
            "/v1/uploads",
            files={"file": (path.name, f, "text/csv")},
            data={"options": json.dumps({"start": False})},
        )
    response.raise_for_status()
    upload_id = response.json()["id"]
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_s(services)
    started = time.perf_counter()
    client.post(
        f"/v1/uploads/{upload_id}/preview", json={"match": {"key": "account_number"}}
    ).raise_for_status()
    while (body := client.get(f"/v1/uploads/{upload_id}/preview").json())["status"] == "running":
        time.sleep(0.25)
    wall_s = time.perf_counter() - started
    cpu_us_per_row = cpu_us_per_unit(cpu_before, _cpu_s(services), rows)
    if body["status"] != "completed":
        raise RuntimeError(f"preview {body['status']}: {body.get('failure')}")
    took = datetime.fromisoformat(body["completed_at"]) - datetime.fromisoformat(body["started_at"])
    seconds = took.total_seconds() or wall_s
    return {
        "rows": rows,
        "seconds": seconds,
        "wall_s": wall_s,
        "rows_per_s": rows / seconds,
        "counts": body["counts"],
        "matches": body["matches"],
        "cpu_us_per_row": cpu_us_per_row,
        "load_average_1m": [load_before, os.getloadavg()[0]],
    }


def _preview_parts(services: dict[str, ServiceProcess]) -> dict[str, ServiceProcess]:
    """The services a preview works in: ingest (its checkers too) and contacts."""
    return {name: services[name] for name in ("ingest", "contacts")}


def _preview_line(preview: dict[str, Any]) -> str:
    cpu = preview["cpu_us_per_row"]
    parts = ", ".join(
        f"{k} {cpu[k]:,.0f}" for k in ("ingest", "contacts", "ferretdb", "postgresql") if k in cpu
    )
    load = preview["load_average_1m"]
    return (
        f"  {preview['rows_per_s']:,.0f} rows/s ({preview['seconds']:.1f} s); CPU us per row: "
        f"{parts} (load {load[0]:.1f} -> {load[1]:.1f}; counts {preview['counts']}, "
        f"matches {preview['matches']})"
    )


def _preview_only(args: argparse.Namespace) -> None:
    """The first file loaded end to end, then the preview of the second (half of it the
    first's customers) run `--preview-runs` times on the same stack (BENCH_PREVIEW_ONLY=1);
    with `--profile`, py-spy samples ingest and contacts during the previews."""
    os.environ.setdefault("LISTFLOW_STORE", "ferretdb2")
    infra.wipe(PROFILE)
    infra.up(PROFILE)
    asyncio.run(ensure_topics(PROFILE.kafka_bootstrap))
    first, second, _ = _first_and_second(args.rows)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    profile_dir = args.out / f"profile-{stamp}-preview" if args.profile else None
    key, env = _bench_env()
    previews: list[dict[str, Any]] = []
    try:
        with (
            running_stack(env, PORTS, GATEWAY_PORT, PROFILE.state / "logs") as (services, url),
            httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=600) as client,
        ):
            _phase("first upload (new customers), to have customers to match")
            loaded = _upload(client, first, services, args.rows)
            print(f"  {loaded.end_to_end_rate or 0:,.0f} rows/s end to end")
            parts = _preview_parts(services)
            # The services a preview does not use would keep the store busy (read models,
            # pollers) and blur its CPU per row.
            for name in services.keys() - parts.keys():
                services[name].stop()
            for run in range(1, args.preview_runs + 1):
                idle = _idle_cpu(parts, 120.0)
                print(f"  idle stack: {sum(idle.values()) / 1e6:.2f} cores busy", flush=True)
                _phase(f"preview {run} of the second file against the stored customers")
                with _profiled(parts, profile_dir if run == 1 else None):
                    preview = _preview(client, second, args.rows, parts)
                preview["idle_cores"] = {k: v / 1e6 for k, v in idle.items()}
                preview["cpu_us_per_row_raw"] = preview["cpu_us_per_row"]
                preview["cpu_us_per_row"] = less_idle(
                    preview["cpu_us_per_row"], idle, preview["wall_s"], args.rows
                )
                previews.append(preview)
                print(_preview_line(preview) + " (less the idle stack's)", flush=True)
    finally:
        infra.down(PROFILE)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "store": infra.store_description(),
        "rows": args.rows,
        "previews": previews,
    }
    if profile_dir is not None:
        result["hot_spots"] = {name: _hot_spots(profile_dir / f"{name}.txt") for name in parts}
        for name, spots in result["hot_spots"].items():
            print(f"\n  where {name} spends its CPU during the first preview (py-spy):")
            for frame, share in spots:
                print(f"    {share:5.1f}%  {frame}")
    args.out.mkdir(exist_ok=True)
    out = args.out / f"bench-preview-{stamp}.json"
    out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"\nwritten to {out}")


@dataclass(frozen=True)
class _Files:
    first: Path
    second: Path
    third: Path
    expected: datagen.Expected


def _first_and_second(rows: int) -> tuple[Path, Path, datagen.Expected]:
    """The first file (new customers) and the second, half of it updates of the first's."""
    work = PROFILE.state.parent / "bench-files"
    work.mkdir(parents=True, exist_ok=True)
    print(f"generating {rows:,} rows (5% invalid, 3% in-file duplicates, mixed countries)")
    first_rows, expected = datagen.rows(rows, seed=42, international=True)
    first = datagen.write_csv(work / "first.csv", first_rows)
    second_rows, _ = datagen.rows(rows, seed=43, international=True, account_offset=rows // 2)
    second = datagen.write_csv(work / "second.csv", second_rows)
    return first, second, expected


def _files(rows: int) -> _Files:
    first, second, expected = _first_and_second(rows)
    # New customers again, for ingest alone and then contacts alone.
    third_rows, _ = datagen.rows(rows, seed=44, international=True, account_offset=2 * rows)
    third = datagen.write_csv(PROFILE.state.parent / "bench-files" / "third.csv", third_rows)
    return _Files(first, second, third, expected)


def _phase(name: str) -> None:
    print(f"{name}  (load average {os.getloadavg()[0]:.1f})", flush=True)


def _run_store(store: str, args: argparse.Namespace, files: _Files, stamp: str) -> dict[str, Any]:
    """Every phase on a fresh stack whose store is `store` (wiped first)."""
    os.environ["LISTFLOW_STORE"] = store
    print(f"\n=== {infra.store_description()} ===", flush=True)
    infra.wipe(PROFILE)
    infra.up(PROFILE)
    asyncio.run(ensure_topics(PROFILE.kafka_bootstrap))
    loads = [os.getloadavg()[0]]
    key, env = _bench_env()
    profile_dir = args.out / f"profile-{stamp}-{store}" if args.profile else None
    try:
        with (
            running_stack(env, PORTS, GATEWAY_PORT, PROFILE.state / "logs") as (services, url),
            httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=600) as client,
        ):
            watched = dict(services)
            extra: list[ServiceProcess] = []
            for instance in range(2, args.contacts_instances + 1):
                # Steps of 10 stay clear of the next clone's ports (offsets step by 100).
                port = PORTS["contacts"] + 10 * (instance - 1)
                process = ServiceProcess(
                    "contacts",
                    port,
                    {**env, "LISTFLOW_CONTACTS_HTTP_PORT": str(port)},
                    PROFILE.state / "logs",
                    instance=instance,
                )
                process.start()
                process.wait_ready()
                extra.append(process)
                watched[f"contacts-{instance}"] = process
            try:
                _phase("idle stack (CPU a second of each part, once settled)")
                idle = _idle_cpu(watched, IDLE_LIMIT_S)
                print(f"  {_cpu_line(idle)}", flush=True)
                _phase("first upload (new customers)")
                with _profiled(watched, profile_dir):
                    run1 = _upload(client, files.first, watched, args.rows)
                loads.append(os.getloadavg()[0])
                print(f"  CPU per row: {_cpu_line(run1.cpu_us_per_row)}", flush=True)
                _phase("write set of the new customers, bulk-inserted again")
                writes = asyncio.run(
                    write_set(PROFILE.mongodb_url, DATABASE_PREFIX, args.rows, _database_cpu_s)
                )
                if args.restart_contacts:
                    print("restarting contacts")
                    for process in [services["contacts"], *extra]:
                        process.stop()
                        process.start()
                        process.wait_ready()
                _phase("second upload (half updates)")
                run2 = _upload(client, files.second, watched, args.rows)
                loads.append(os.getloadavg()[0])
                print(f"  CPU per row: {_cpu_line(run2.cpu_us_per_row)}", flush=True)
                if not args.quick:
                    _phase("preview of the second file against the stored customers")
                    preview = _preview(client, files.second, args.rows, _preview_parts(services))
                    print(_preview_line(preview))
                    # Ingest alone: with every contacts consumer stopped, nothing else competes
                    # for the cores while the file is parsed, validated and published. Then
                    # contacts alone: started on the rows waiting in Kafka, it merges them with
                    # the cores to itself (and the database).
                    contacts = {n: p for n, p in watched.items() if n.startswith("contacts")}
                    for process in contacts.values():
                        process.stop()
                    _phase("ingest alone (contacts stopped), a third file of new customers")
                    alone = _upload(
                        client,
                        files.third,
                        {"ingest": services["ingest"]},
                        args.rows,
                        target="Bench alone",
                        wait_for_merge=False,
                    )
                    _phase("contacts alone, merging the third file's rows")
                    merge_alone = _merge_alone(
                        client, alone.upload_id, contacts, services["ingest"], args.rows
                    )
                    loads.append(os.getloadavg()[0])
                    # The first file again, as new leads of a dialer list: ingest and leads.
                    _phase("the first file into a dialer list (new leads)")
                    dialer = _upload(
                        client,
                        files.first,
                        {"ingest": services["ingest"], "leads": services["leads"]},
                        args.rows,
                        target="Bench dialer",
                        kind="lead_list",
                    )
                    loads.append(os.getloadavg()[0])
                    _phase("portal pages under wrk (ID&V, accounts)")
                    portal = portal_phase(
                        client,
                        f"http://127.0.0.1:{PORTS['portal']}",
                        lambda: _cpu_s({"portal": services["portal"]})["portal"],
                    )
                    loads.append(os.getloadavg()[0])
                    _phase("email campaign on ListReady, to Mailpit")
                    campaigns = _campaigns_phase(client, services, idle)
                    loads.append(os.getloadavg()[0])
            finally:
                for process in extra:
                    process.stop()

        docs = asyncio.run(_stored_contacts(min(args.rows, 50_000)))
        _phase(f"storage limit on {len(docs):,} stored contacts")
        limits = asyncio.run(_storage_limit(docs, full=not args.quick))
        if args.quick:
            quick = _quick_result(run1, run2, idle, limits, loads)
            quick["write_set"] = writes
            if profile_dir is not None:
                quick["hot_spots"] = {n: _hot_spots(profile_dir / f"{n}.txt") for n in watched}
            return quick
        _phase("broker limit")
        limits.update(asyncio.run(_broker_limit(min(args.rows, 200_000), 700)))
        _phase("naive baseline on 3,000 rows")
        limits["naive_rows_per_s"] = asyncio.run(_naive(files.first, 3000))
        loads.append(os.getloadavg()[0])
    finally:
        infra.down(PROFILE)
    result: dict[str, Any] = {
        "store": infra.store_description(),
        "load_average_1m": loads,
        "idle_cpu_us_per_s": idle,
        "ingest_alone": {**asdict(alone), "parse_rows_per_s": alone.parse_rate},
        "contacts_alone": {**asdict(merge_alone), "merge_rows_per_s": merge_alone.end_to_end_rate},
        "dialer_list_upload": {**asdict(dialer), "end_to_end_rows_per_s": dialer.end_to_end_rate},
        "first_upload": {
            **asdict(run1),
            "parse_rows_per_s": run1.parse_rate,
            "end_to_end_rows_per_s": run1.end_to_end_rate,
        },
        "update_upload": {
            **asdict(run2),
            "parse_rows_per_s": run2.parse_rate,
            "end_to_end_rows_per_s": run2.end_to_end_rate,
        },
        "preview": preview,
        "limits": limits,
        "write_set": writes,
        "portal": portal,
        "campaigns": campaigns,
    }
    if profile_dir is not None:
        result["hot_spots"] = {
            name: _hot_spots(profile_dir / f"{name}.txt") for name in sorted(watched)
        }
    return result


def _quick_result(
    run1: UploadRun,
    run2: UploadRun,
    idle: dict[str, float],
    limits: dict[str, Any],
    loads: list[float],
) -> dict[str, Any]:
    """What `--quick` measures: the two uploads, the idle stack, `insert_many`."""
    return {
        "store": infra.store_description(),
        "load_average_1m": loads,
        "idle_cpu_us_per_s": idle,
        "first_upload": {**asdict(run1), "end_to_end_rows_per_s": run1.end_to_end_rate},
        "update_upload": {**asdict(run2), "end_to_end_rows_per_s": run2.end_to_end_rate},
        "limits": limits,
    }


def _row_cpu_lines(run: dict[str, Any]) -> list[tuple[str, str]]:
    """CPU per row of the two uploads as measured and net of the idle stack, and the idle
    stack's CPU a second."""
    idle = run["idle_cpu_us_per_s"]
    uploads = {"new customers": run["first_upload"], "half updates": run["update_upload"]}
    return [
        ("CPU a second, idle stack", _cpu_line(idle)),
        *(
            (f"CPU per row net of the idle stack, {name}", _cpu_line(_net_of_idle(upload, idle)))
            for name, upload in uploads.items()
        ),
    ]


def _claims_line(limits: dict[str, Any]) -> str:
    claims = limits["claims"]
    extra = (
        claims["unique_index_contact_database_cpu_us"] - limits["insert_database_cpu_us_per_row"]
    )
    return (
        f"{claims['keys_per_contact']:.1f} keys: as key_claims documents "
        f"{claims['documents_database_cpu_us_per_contact']:,.0f} us; as a unique multikey index "
        f"on the contact {extra:,.0f} us (the contact with the index "
        f"{claims['unique_index_contact_database_cpu_us']:,.0f} us, without "
        f"{limits['insert_database_cpu_us_per_row']:,.0f})"
    )


def _insert_line(limits: dict[str, Any]) -> str:
    line = f"{limits['insert_rows_per_s']:,.0f} rows/s"
    if "insert_fresh_ids_rows_per_s" in limits:
        line += (
            f" (with fresh ids raw-0, raw-1, ... instead of their own: "
            f"{limits['insert_fresh_ids_rows_per_s']:,.0f} rows/s, "
            f"{limits['insert_fresh_ids_database_cpu_us_per_row']:,.0f} us of database CPU)"
        )
    return line


def _write_set_lines(run: dict[str, Any]) -> list[tuple[str, str]]:
    """The write set of a new customer against the row budget of issue 17's first target."""
    if "write_set" not in run:  # results written before it was measured
        return []
    return write_set_lines(
        run["write_set"],
        sum(run["idle_cpu_us_per_s"].values()),
        run["limits"]["insert_rows_per_s"],
        TARGETS["end to end, new customers / insert_many"],
    )


def _quick_table(run: dict[str, Any]) -> str:
    first, second = run["first_upload"], run["update_upload"]
    rows = [
        *_end_to_end_lines(first, second),
        ("storage limit: insert_many", _insert_line(run["limits"])),
        *_upload_cpu_lines(first, second),
        *_row_cpu_lines(run),
        (
            "database CPU per row, insert_many",
            f"{run['limits']['insert_database_cpu_us_per_row']:,.0f} us",
        ),
        (
            "key claims, database CPU per new contact",
            _claims_line(run["limits"]),
        ),
        *_write_set_lines(run),
        (
            "load average (1 min) at the phases",
            ", ".join(f"{v:.1f}" for v in run["load_average_1m"]),
        ),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows)


def _targets(run: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(target, measured, required) for one store's run."""
    e2e = run["first_upload"]["end_to_end_rows_per_s"]
    measured = {
        "end to end, new customers / insert_many": e2e / run["limits"]["insert_rows_per_s"],
        "update file / new customers": run["update_upload"]["end_to_end_rows_per_s"] / e2e,
    }
    rows = [(name, measured[name], required) for name, required in TARGETS.items()]
    if "preview" in run:  # not measured with --quick
        preview = run["preview"]["rows_per_s"]
        rows.append(("preview rows/s / 10,000", preview / PREVIEW_TARGET_ROWS_PER_S, 1.0))
    return rows


def _target_lines(run: dict[str, Any]) -> str:
    return "\n".join(
        f"  {name.ljust(44)} {measured:6.2f}  (target >= {required:.2f}: "
        f"{'met' if measured >= required else 'NOT met'})"
        for name, measured, required in _targets(run)
    )


def _lookup_figure(way: str) -> Callable[[dict[str, Any]], float]:
    def figure(run: dict[str, Any]) -> float:
        costs: dict[str, dict[str, float]] = run["limits"].get("lookups", {})
        return costs.get(way, {}).get("wall_us_per_key", 0.0)

    return figure


def _comparison(runs: dict[str, dict[str, Any]]) -> str:
    """The figures of every store side by side, and the last store's over the first's."""
    figures = {
        "ingest alone (rows/s)": lambda r: r["ingest_alone"]["parse_rows_per_s"],
        "end to end, new customers (rows/s)": lambda r: r["first_upload"]["end_to_end_rows_per_s"],
        "end to end, half updates (rows/s)": lambda r: r["update_upload"]["end_to_end_rows_per_s"],
        "preview (rows/s)": lambda r: r["preview"]["rows_per_s"],
        "contacts alone (rows/s)": lambda r: r["contacts_alone"]["merge_rows_per_s"],
        "dialer list, new leads (rows/s)": lambda r: r["dialer_list_upload"][
            "end_to_end_rows_per_s"
        ],
        "storage: insert_many (rows/s)": lambda r: r["limits"]["insert_rows_per_s"],
        "storage: point upserts (rows/s)": lambda r: r["limits"]["upsert_rows_per_s"],
        "storage: bulk versioned replaces (rows/s)": lambda r: r["limits"][
            "bulk_replace_rows_per_s"
        ],
        "naive (rows/s)": lambda r: r["limits"]["naive_rows_per_s"],
        "database CPU/row, new customers (us)": lambda r: _database_cpu(
            r["first_upload"]["cpu_us_per_row"]
        ),
        "database CPU/row, half updates (us)": lambda r: _database_cpu(
            r["update_upload"]["cpu_us_per_row"]
        ),
        "database CPU/row, insert_many (us)": lambda r: r["limits"][
            "insert_database_cpu_us_per_row"
        ],
        "database CPU/row, point upserts (us)": lambda r: r["limits"][
            "upsert_database_cpu_us_per_row"
        ],
        **{f"lookup, {way} (us/key)": _lookup_figure(way) for way in LOOKUP_WAYS},
        "CPU/row all, new customers (us)": lambda r: sum(
            r["first_upload"]["cpu_us_per_row"].values()
        ),
        "CPU/row all, half updates (us)": lambda r: sum(
            r["update_upload"]["cpu_us_per_row"].values()
        ),
    }
    names = list(runs)
    width = max(len(k) for k in figures)
    head = f"  {''.ljust(width)}  " + "".join(f"{n:>12}" for n in names)
    if len(names) > 1:
        head += f"{names[-1] + '/' + names[0]:>22}"
    lines = [head]
    for label, figure in figures.items():
        values = [figure(runs[n]) for n in names]
        line = f"  {label.ljust(width)}  " + "".join(f"{v:>12,.0f}" for v in values)
        if len(names) > 1 and values[0]:
            line += f"{values[-1] / values[0]:>22.2f}"
        lines.append(line)
    loads = "  load average (1 min) during the phases: " + "; ".join(
        f"{n} " + ", ".join(f"{v:.1f}" for v in runs[n]["load_average_1m"]) for n in names
    )
    return "\n".join([*lines, loads])


def _env_flag(parser: argparse.ArgumentParser, flag: str, env: str, help: str) -> None:
    """A switch that `make bench` sets through its environment variable (`env`=1)."""
    parser.add_argument(flag, action="store_true", default=os.environ.get(env) == "1", help=help)


def main() -> None:
    # A bench stopped with SIGTERM (kill, a CI timeout) unwinds like Ctrl-C: the `finally`
    # blocks stop the services it started instead of leaving them running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(prog="listflow-bench")
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", "100000")))
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument(
        "--stores",
        # FerretDB 2 only by default: the code matches by `$in`, which FerretDB 1.24 answers
        # with a scan of the whole collection (docs/performance.md, issue 17).
        default=os.environ.get("BENCH_STORES", "ferretdb2"),
        help="the local stores to run every phase on, one after the other on the same files "
        f"(comma-separated, of {', '.join(infra.STORES)}); the last is compared with the first",
    )
    parser.add_argument(
        "--contacts-instances",
        type=int,
        default=int(os.environ.get("BENCH_CONTACTS", "1")),
        help="contacts consumer processes sharing the row topic's partitions",
    )
    _env_flag(
        parser,
        "--profile",
        "BENCH_PROFILE",
        "sample the services with py-spy during the first upload (with --portal-only, "
        "the portal while wrk runs)",
    )
    _env_flag(
        parser,
        "--ingest-only",
        "BENCH_INGEST_ONLY",
        "only stream the first file through ingest (contacts stopped): rate and memory "
        "for sizes whose merge would take too long here, e.g. a million rows",
    )
    _env_flag(
        parser,
        "--restart-contacts",
        "BENCH_RESTART_CONTACTS",
        "restart contacts between the two uploads, so the update file meets a process "
        "that has seen none of the stored customers (as after a deploy)",
    )
    _env_flag(
        parser,
        "--quick",
        "BENCH_QUICK",
        "only the two uploads (new customers, half updates), the idle stack before them "
        "and the insert_many limit: the figures of issue 17's row targets, in minutes",
    )
    _env_flag(
        parser,
        "--portal-only",
        "BENCH_PORTAL_ONLY",
        "only the portal phase: ID&V and accounts pages under wrk (BENCH_PORTAL_SECONDS, "
        "BENCH_PORTAL_CONNECTIONS, BENCH_PORTAL_CUSTOMERS)",
    )
    _env_flag(
        parser,
        "--campaigns-only",
        "BENCH_CAMPAIGNS_ONLY",
        "only the campaigns phase: an email campaign of BENCH_CAMPAIGN_CONTACTS (100,000) "
        "contacts on ListReady, to Mailpit",
    )
    _env_flag(
        parser,
        "--preview-only",
        "BENCH_PREVIEW_ONLY",
        "only the preview phase: the first file loaded end to end, then the preview of "
        "the second timed --preview-runs times (with --profile, py-spy during the first)",
    )
    parser.add_argument(
        "--preview-runs", type=int, default=int(os.environ.get("BENCH_PREVIEW_RUNS", "3"))
    )
    args = parser.parse_args()
    if args.preview_only:
        _preview_only(args)
        return
    if args.campaigns_only:
        _campaigns_only(args.out)
        return
    if args.portal_only:
        _portal_only(args.out, profile=args.profile)
        return
    if args.ingest_only:
        _ingest_only(args.rows, args.out)
        return
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = [s for s in stores if s not in infra.STORES]
    if unknown or not stores:
        parser.error(f"--stores {args.stores!r}: expected some of {', '.join(infra.STORES)}")
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    files = _files(args.rows)
    runs = {store: _run_store(store, args, files, stamp) for store in stores}

    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "rows": args.rows,
        "contacts_instances": args.contacts_instances,
        "contacts_restarted_before_update": args.restart_contacts,
        "expected": asdict(files.expected),
        "stores": runs,
    }
    args.out.mkdir(exist_ok=True)
    out = args.out / f"bench-{stamp}.json"
    out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    for store, run in runs.items():
        print(f"\n{run['store']} ({store})")
        print(_quick_table(run) if args.quick else _table({**result, **run}))
        print("  targets (issue 17), ratios within this run:")
        print(_target_lines(run))
        for name, spots in run.get("hot_spots", {}).items():
            print(f"\n  where {name} spends its CPU (share of samples, py-spy):")
            for frame, share in spots:
                print(f"    {share:5.1f}%  {frame}")
    if not args.quick:
        print("\nside by side, same files, same machine, one after the other")
        print(_comparison(runs))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
