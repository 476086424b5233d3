"""Two uploads of the same new customers, one matched by account number and one by customer
id, imported at the same time by two contacts instances: one contact per customer.

Ingest publishes one upload's rows after the other's, so the first test shows the whole path
but seldom a true overlap; the second puts both uploads' rows on the real topic interleaved
(as two ingest replicas would), so the two contacts instances merge the same customers at the
same moment under different keys.
"""

import asyncio
import random
import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from listflow.devstack.processes import ServiceProcess
from listflow.kit.kafka import encode
from listflow.schemas import topics
from listflow.schemas.envelope import envelope_headers
from listflow.schemas.events import ContactRowParsed
from listflow.schemas.values import (
    Account,
    ContactData,
    MatchKey,
    MatchPolicy,
    TargetKind,
    TargetRef,
    list_id_for,
)

from tests.conftest import PROFILE, Stack
from tests.integration.contacts_support import run_upload
from tests.integration.test_spine import all_contacts

CUSTOMERS = 400


@pytest.fixture
def second_contacts(stack: Stack) -> Iterator[ServiceProcess]:
    """Another contacts process in the same consumer group: partitions split between them."""
    port = stack.contacts.port + 19
    env = {**stack.contacts.env, "LISTFLOW_CONTACTS_HTTP_PORT": str(port)}
    process = ServiceProcess("contacts", port, env, stack.contacts.log_dir / "second")
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def merged_batches(process: ServiceProcess) -> int:
    log = process.log_dir / "contacts.log"
    return log.read_text().count('"batch merged"') if log.exists() else 0


def wait_until_it_merges(stack: Stack, process: ServiceProcess, tmp_path: Path) -> None:
    """Warm-up uploads until the second instance has merged a batch itself, i.e. the consumer
    group has rebalanced and both instances hold partitions."""
    for attempt in range(20):
        rows = [{"account_number": f"WARM-{secrets.token_hex(4)}"} for _ in range(60)]
        with stack.client("acme") as client:
            run_upload(client, tmp_path, rows, group=f"warm-up-{attempt}")
        if merged_batches(process) > 0:
            return
    raise AssertionError("the second contacts instance never received a partition")


def test_two_uploads_with_different_match_keys_leave_one_contact_per_customer(
    stack: Stack, second_contacts: ServiceProcess, tmp_path: Path
) -> None:
    wait_until_it_merges(stack, second_contacts, tmp_path)
    before = merged_batches(second_contacts)
    run = secrets.token_hex(3).upper()
    group = f"race-{run}"
    customers = [(f"CID-{run}-{n}", f"ACC-{run}-{n}") for n in range(CUSTOMERS)]
    by_account = [
        {"customer_id": cid, "account_number": acc, "first_name": "ByAccount"}
        for cid, acc in customers
    ]
    by_customer = [
        {"customer_id": cid, "account_number": acc, "last_name": "ByCustomer"}
        for cid, acc in customers
    ]
    random.Random(7).shuffle(by_customer)
    with stack.client("acme") as a, stack.client("acme") as b, ThreadPoolExecutor(2) as pool:
        jobs = [
            pool.submit(
                run_upload, a, tmp_path, by_account, group=group, match={"key": "account_number"}
            ),
            pool.submit(
                run_upload, b, tmp_path, by_customer, group=group, match={"key": "customer_id"}
            ),
        ]
        results: list[dict[str, Any]] = [job.result() for job in jobs]
        contacts = all_contacts(a, group)
    for done in results:
        assert done["status"] == "completed", done
        assert done["counts"]["errors"] == 0
    assert sum(d["counts"]["imported"] for d in results) == CUSTOMERS
    assert sum(d["counts"]["updated"] for d in results) == CUSTOMERS
    per_customer = Counter(c["data"]["customer_id"] for c in contacts)
    assert len(per_customer) == CUSTOMERS and set(per_customer.values()) == {1}
    assert merged_batches(second_contacts) > before  # both instances took part
    # No lost update: every contact carries what both uploads wrote.
    assert all(c["data"]["first_name"] == "ByAccount" for c in contacts)
    assert all(c["data"]["last_name"] == "ByCustomer" for c in contacts)


def row_event(
    tenant: str, upload: str, n: int, key: MatchKey, cid: str, acc: str, group: str
) -> ContactRowParsed:
    field = (
        {"first_name": "ByAccount"}
        if key is MatchKey.ACCOUNT_NUMBER
        else {"last_name": "ByCustomer"}
    )
    return ContactRowParsed(
        tenant_id=tenant,
        upload_id=upload,
        row_number=n,
        target=TargetRef(
            kind=TargetKind.GROUP, id=list_id_for(tenant, TargetKind.GROUP, group), name=group
        ),
        match=MatchPolicy(key=key),
        match_key=key,
        match_value=acc if key is MatchKey.ACCOUNT_NUMBER else cid,
        contact=ContactData(customer_id=cid, accounts=(Account(number=acc),), **field),
        create_missing_tags=False,
    )


def test_interleaved_rows_of_two_uploads_merge_into_one_contact_per_customer(
    stack: Stack, second_contacts: ServiceProcess, tmp_path: Path
) -> None:
    wait_until_it_merges(stack, second_contacts, tmp_path)
    tenant = stack.tenants["acme"].id
    run = secrets.token_hex(3).upper()
    group = f"interleaved-{run}"
    count = 2000
    events: list[ContactRowParsed] = []
    for n in range(1, count + 1):
        cid, acc = f"ICID-{run}-{n}", f"IACC-{run}-{n}"
        events.append(
            row_event(tenant, f"race-a-{run}", n, MatchKey.ACCOUNT_NUMBER, cid, acc, group)
        )
        events.append(row_event(tenant, f"race-b-{run}", n, MatchKey.CUSTOMER_ID, cid, acc, group))

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=PROFILE.kafka_bootstrap, linger_ms=5)
        await producer.start()
        try:
            sends = [
                await producer.send(
                    topics.CONTACT_ROWS.name,
                    encode(e),
                    key=e.match_value.encode(),
                    headers=[
                        (k, v.encode()) for k, v in envelope_headers(e, source="test").items()
                    ],
                )
                for e in events
            ]
            await asyncio.gather(*sends)
        finally:
            await producer.stop()

    asyncio.run(produce())
    with stack.client("acme") as client:
        # Wait (without a time limit of our own) until every customer carries both writes.
        for _ in range(600):
            contacts = all_contacts(client, group)
            both = [
                c
                for c in contacts
                if c["data"]["first_name"] == "ByAccount" and c["data"]["last_name"] == "ByCustomer"
            ]
            if len(both) >= count:
                break
            asyncio.run(asyncio.sleep(0.5))
    per_customer = Counter(c["data"]["customer_id"] for c in contacts)
    assert len(per_customer) == count and set(per_customer.values()) == {1}, Counter(
        per_customer.values()
    )
    assert len(both) == count
