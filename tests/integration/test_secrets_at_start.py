"""Where the PII secret comes from: `make run` makes one per data folder; a service outside a
local run refuses the built-in one and does not start."""

import dataclasses
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from listflow.devstack import infra
from listflow.devstack.cli import run_env
from listflow.kit.settings import LOCAL_PII_SECRET, api_key_digest

PORTS = {"ingest": 28101, "contacts": 28102, "leads": 28103}


def _profile(root: Path) -> infra.Profile:
    return dataclasses.replace(infra.PROFILES["dev"], root=root)


def test_make_run_makes_a_secret_per_data_folder_and_a_second_start_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LISTFLOW_PII_SECRET", raising=False)
    profile = _profile(tmp_path / "one")
    first = run_env(profile, "lf_demo", PORTS)["LISTFLOW_PII_SECRET"]
    stored = profile.state / "pii-secret"
    assert stored.read_text().strip() == first
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert first != LOCAL_PII_SECRET and len(first) >= 32

    assert run_env(profile, "lf_other", PORTS)["LISTFLOW_PII_SECRET"] == first  # second start
    other = run_env(_profile(tmp_path / "two"), "lf_demo", PORTS)["LISTFLOW_PII_SECRET"]
    assert other != first  # another data folder, another secret

    monkeypatch.setenv("LISTFLOW_PII_SECRET", "chosen-by-the-operator-0123456789")
    assert run_env(profile, "lf_demo", PORTS)["LISTFLOW_PII_SECRET"].startswith("chosen")
    assert stored.read_text().strip() == first


def test_the_secret_of_make_run_is_never_committed() -> None:
    secret = infra.PROFILES["dev"].state / "pii-secret"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(secret)], cwd=infra.REPO, check=False
    )
    assert ignored.returncode == 0, f"{secret} is not git-ignored"


@pytest.mark.parametrize(
    ("service", "environment"),
    [
        ("ingest", "production"),
        ("contacts", "production"),
        ("leads", "production"),
        ("ingest", "test"),
    ],
)
def test_a_service_outside_a_local_run_refuses_the_built_in_secret(
    service: str, environment: str
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LISTFLOW_") or k == "LISTFLOW_PORT_OFFSET"
    }
    env.update(
        {
            "LISTFLOW_ENVIRONMENT": environment,
            "LISTFLOW_API_KEYS": json.dumps({"acme": [api_key_digest("lf_key")]}),
            # Nothing listens here: a service that got past its settings could not start.
            "LISTFLOW_MONGODB_URL": "mongodb://listflow:hunter2-password@127.0.0.1:1/",
            "LISTFLOW_KAFKA_BOOTSTRAP": "127.0.0.1:1",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", f"listflow.{service}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "LISTFLOW_PII_SECRET must be set" in output, output
    assert "hunter2" not in output
