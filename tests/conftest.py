"""The real stack for integration and end-to-end tests: Kafka and FerretDB (test profile),
ingest and contacts as separate processes, and tenants with their own API keys."""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from listflow.devstack import infra
from listflow.devstack.processes import ServiceProcess, running_stack, service_env
from listflow.devstack.topics import ensure_topics
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

PROFILE = infra.PROFILES["test"]
PORTS = PROFILE.service_ports
GATEWAY_PORT = PROFILE.gateway_port
MAX_ROWS = 200_000
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
PORTAL_LOCKOUT_S = 4
# How long a campaigns sender's claim holds its messages here (120 s by default): a test
# that kills campaigns mid-send waits it out (test_campaign_crash.py).
SEND_LEASE_S = 10


@dataclass
class Tenant:
    id: str
    key: str


@dataclass
class Stack:
    ingest: ServiceProcess
    contacts: ServiceProcess
    leads: ServiceProcess
    campaigns: ServiceProcess
    portal: ServiceProcess
    gateway_url: str
    tenants: dict[str, Tenant]
    database_prefix: str
    # The SMS provider simulator `infra up` starts (tools/devstack/sms_simulator.py).
    sms_simulator_url: str = f"http://127.0.0.1:{PROFILE.sms_simulator_port}"
    # Mailpit (`infra up`): campaigns' SMTP server, its messages read over its HTTP API.
    mailpit_url: str = infra.mailpit_url(PROFILE)

    def client(self, tenant: str) -> httpx.Client:
        """A client of the public API (through the gateway) as one tenant."""
        return httpx.Client(
            base_url=self.gateway_url,
            headers={"X-API-Key": self.tenants[tenant].key},
            timeout=60.0,
        )


@asynccontextmanager
async def fresh_database() -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A database of its own on the test FerretDB, dropped afterwards."""
    infra.up(PROFILE)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(PROFILE.mongodb_url)
    name = f"contract_{secrets.token_hex(4)}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def database() -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    """A repository's own database on the real FerretDB (no services, no Kafka)."""
    async with fresh_database() as db:
        yield db


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    infra.up(PROFILE)
    asyncio.run(ensure_topics(PROFILE.kafka_bootstrap))
    run = secrets.token_hex(3)
    tenants = {
        name: Tenant(id=f"{name}-{run}", key=f"lf_test_{secrets.token_urlsafe(16)}")
        # "fuzz" and "console": the API fuzz's and the browser tests' own tenants, so what
        # they write never matches the other tests' rows.
        for name in ("acme", "globex", "fuzz", "console")
    }
    prefix = f"lft_{run}_"
    env = service_env(
        PROFILE,
        tenants={t.key: t.id for t in tenants.values()},
        ports=PORTS,
        database_prefix=prefix,
        extra={
            "LISTFLOW_LOG_LEVEL": "INFO",
            "LISTFLOW_INGEST_BATCH_ROWS": "2000",
            # Limits low enough for tests to pass them cheaply (test_bad_inputs.py).
            "LISTFLOW_INGEST_MAX_ROWS": str(MAX_ROWS),
            "LISTFLOW_INGEST_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
            # The portal's lock after failed ID&V lasts seconds here, not the tenant's
            # minutes (test_portal_pages.py waits it out); every test client is 127.0.0.1,
            # so the per-address throttle is set out of their way.
            "LISTFLOW_PORTAL_LOCKOUT_CAP_S": str(PORTAL_LOCKOUT_S),
            "LISTFLOW_PORTAL_THROTTLE_PER_ADDRESS": "100000",
            "LISTFLOW_CAMPAIGNS_SEND_LEASE_S": str(SEND_LEASE_S),
            "LISTFLOW_CAMPAIGNS_SMTP_TIMEOUT_S": "5",
        },
    )
    with running_stack(env, PORTS, GATEWAY_PORT, PROFILE.state / "logs") as (services, url):
        yield Stack(
            ingest=services["ingest"],
            contacts=services["contacts"],
            leads=services["leads"],
            campaigns=services["campaigns"],
            portal=services["portal"],
            gateway_url=url,
            tenants=tenants,
            database_prefix=prefix,
        )


def upload(
    client: httpx.Client,
    path: Path,
    options: dict[str, Any] | None = None,
    *,
    name: str | None = None,
) -> dict[str, Any]:
    import json

    with path.open("rb") as f:
        response = client.post(
            "/v1/uploads",
            files={"file": (name or path.name, f, "text/csv")},
            data={"options": json.dumps(options or {})},
        )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for_status(
    client: httpx.Client, upload_id: str, statuses: set[str], timeout: float = 240.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(f"/v1/uploads/{upload_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in statuses:
            return body
        time.sleep(0.5)
    raise AssertionError(f"upload {upload_id} never reached {statuses}: {body}")
