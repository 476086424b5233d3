"""Starting and stopping Listflow services as real processes (make run, tests, bench)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from listflow.devstack.gateway import create_gateway
from listflow.devstack.infra import (
    PAYMENTS_PROVIDER_KEY,
    PAYMENTS_WEBHOOK_SECRET,
    REPO,
    SMS_PROVIDER_KEY,
    SMS_WEBHOOK_SECRET,
    Profile,
    ensure_free,
)
from listflow.kit.settings import api_key_digest

# The built console (make run and make test build it with npm; see the Makefile).
CONSOLE_DIST = Path(os.environ.get("LISTFLOW_CONSOLE_DIR", REPO / "console" / "dist"))

# How long a service may take to become ready (its probe answered 200), and how long one
# probe may take: a service busy with a backlog on two loaded cores answers slowly.
READY_TIMEOUT = 300.0
PROBE_TIMEOUT = 10.0

SERVICES: dict[str, str] = {
    "ingest": "listflow.ingest",
    "contacts": "listflow.contacts",
    "leads": "listflow.leads",
    "campaigns": "listflow.campaigns",
    "portal": "listflow.portal",
}


def service_env(
    profile: Profile,
    *,
    tenants: dict[str, str],
    ports: dict[str, int],
    database_prefix: str = "listflow_",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment for every service: infrastructure URLs and tenant API keys (as digests)."""
    env = {
        **os.environ,
        "LISTFLOW_ENVIRONMENT": "local",
        "LISTFLOW_KAFKA_BOOTSTRAP": profile.kafka_bootstrap,
        "LISTFLOW_MONGODB_URL": profile.mongodb_url,
        "LISTFLOW_DATABASE_PREFIX": database_prefix,
        "LISTFLOW_API_KEYS": json.dumps(
            {tenant: [api_key_digest(key)] for key, tenant in tenants.items()}
        ),
        "LISTFLOW_INGEST_HTTP_PORT": str(ports["ingest"]),
        "LISTFLOW_CONTACTS_HTTP_PORT": str(ports["contacts"]),
        "LISTFLOW_LEADS_HTTP_PORT": str(ports.get("leads", 8103)),
        "LISTFLOW_CAMPAIGNS_HTTP_PORT": str(ports.get("campaigns", 8104)),
        # Ingest resolves lead-list targets (and their custom fields) over the leads API.
        "LISTFLOW_INGEST_LEADS_URL": f"http://127.0.0.1:{ports.get('leads', 8103)}",
        "LISTFLOW_INGEST_SPOOL_DIR": str(profile.state / "spool"),
        # Ingest asks contacts for match counts (upload previews) over its HTTP API.
        "LISTFLOW_INGEST_CONTACTS_URL": f"http://127.0.0.1:{ports['contacts']}",
        "LISTFLOW_PORTAL_HTTP_PORT": str(ports.get("portal", 8105)),
        # Customer links point at the stack's one public address (the gateway).
        "LISTFLOW_PORTAL_PUBLIC_URL": f"http://127.0.0.1:{profile.gateway_port}",
        # The portal's card provider: the simulator `infra up` starts (see infra.py).
        "LISTFLOW_PAYMENTS_PROVIDER_URL": f"http://127.0.0.1:{profile.payments_simulator_port}",
        "LISTFLOW_PAYMENTS_PROVIDER_KEY": PAYMENTS_PROVIDER_KEY,
        "LISTFLOW_PAYMENTS_WEBHOOK_SECRET": PAYMENTS_WEBHOOK_SECRET,
        # Campaigns' SMS provider: the simulator `infra up` starts; its status callbacks come
        # to campaigns directly (the gateway routes /hooks/sms too, for a public base).
        "LISTFLOW_CAMPAIGNS_SMS_PROVIDER_URL": f"http://127.0.0.1:{profile.sms_simulator_port}",
        "LISTFLOW_CAMPAIGNS_SMS_PROVIDER_KEY": SMS_PROVIDER_KEY,
        "LISTFLOW_CAMPAIGNS_SMS_WEBHOOK_SECRET": SMS_WEBHOOK_SECRET,
        # Campaigns' email relay: the Mailpit `infra up` starts (its inbox on base+7).
        "LISTFLOW_CAMPAIGNS_SMTP_HOST": "127.0.0.1",
        "LISTFLOW_CAMPAIGNS_SMTP_PORT": str(profile.smtp_port),
        # Emails' unsubscribe links point at the stack's public address, like portal links.
        "LISTFLOW_CAMPAIGNS_PUBLIC_URL": f"http://127.0.0.1:{profile.gateway_port}",
        "LISTFLOW_CAMPAIGNS_SPOOL_DIR": str(profile.state / "spool"),
        "LISTFLOW_CAMPAIGNS_SMS_CALLBACK_URL": f"http://127.0.0.1:{ports.get('campaigns', 8104)}",
    }
    env.update(extra or {})
    return env


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_dir: Path
    # A second or later instance of the same service (a scaled-out consumer) logs apart.
    instance: int = 1
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        suffix = f"-{self.instance}" if self.instance > 1 else ""
        return self.log_dir / f"{self.name}{suffix}.log"

    def start(self) -> None:
        ensure_free(self.port, self.name)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", SERVICES[self.name]],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until the service answers 200 on `/readyz` (its database and Kafka reachable,
        its start-up done), or its process exits. The bound is generous: on a loaded machine
        a service starting onto a backlog answers its first probes slowly (a bench once gave
        up on contacts after 60 s at load 17, each probe timing out after 2 s)."""
        if timeout is None:
            timeout = float(os.environ.get("LISTFLOW_READY_TIMEOUT", READY_TIMEOUT))
        started = time.monotonic()
        deadline = started + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} before it was ready; "
                    f"see {self.log_path}"
                )
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=PROBE_TIMEOUT)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise RuntimeError(
            f"{self.name} did not answer 200 on {self.url}/readyz within {timeout:.0f}s "
            f"(LISTFLOW_READY_TIMEOUT; load average {os.getloadavg()[0]:.1f}); last answer: "
            f"{last}; see {self.log_path}"
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def ask_to_stop(self, sig: int = signal.SIGTERM) -> None:
        """Ask the service to stop without waiting for it."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """Die at once, as a crashed or OOM-killed pod would."""
        self.stop(signal.SIGKILL)


def stop_all(services: Iterable[ServiceProcess], timeout: float = 20.0) -> None:
    """Stop every service at once: each drains in parallel (up to its graceful timeout),
    so an impatient second Ctrl-C is less likely to orphan the ones not yet asked."""
    services = list(services)
    for service in services:
        service.ask_to_stop()
    for service in services:
        service.stop(timeout=timeout)


@contextmanager
def running_stack(
    env: dict[str, str], ports: dict[str, int], gateway_port: int, log_dir: Path
) -> Iterator[tuple[dict[str, ServiceProcess], str]]:
    """Every service as its own process plus the gateway (in a thread); yields the services
    and the gateway's URL, and stops them all on the way out."""
    services = {name: ServiceProcess(name, port, env, log_dir) for name, port in ports.items()}
    ensure_free(gateway_port, "the gateway")
    for service in services.values():
        service.start()
    gateway: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    try:
        for service in services.values():
            service.wait_ready()
        gateway = uvicorn.Server(
            uvicorn.Config(
                create_gateway(
                    {name: s.url for name, s in services.items()}, console_dir=CONSOLE_DIST
                ),
                host="127.0.0.1",
                port=gateway_port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=gateway.run, daemon=True)
        thread.start()
        while not gateway.started:
            time.sleep(0.05)
        yield services, f"http://127.0.0.1:{gateway_port}"
    finally:
        if gateway is not None and thread is not None:
            gateway.should_exit = True
            thread.join(10)
        stop_all(services.values())
