"""Starting and stopping Listflow services as real processes (make run, tests, bench)."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from listflow.devstack.infra import Profile
from listflow.kit.settings import api_key_digest

SERVICES: dict[str, str] = {
    "ingest": "listflow.ingest.entrypoints.main",
    "contacts": "listflow.contacts.entrypoints.main",
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
        "LISTFLOW_INGEST_SPOOL_DIR": str(profile.state / "spool"),
    }
    env.update(extra or {})
    return env


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", SERVICES[self.name]],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; see its log"
                )
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=2.0)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s: {last}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        """Die at once, as a crashed or OOM-killed pod would."""
        self.stop(signal.SIGKILL)
