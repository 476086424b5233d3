"""Ingest's row-checker processes do not outlive it: a kill -9 of ingest leaves none behind."""

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from listflow.devstack import datagen
from listflow.devstack.processes import ServiceProcess

from tests.conftest import Stack


def _children(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (a zombie has exited: it only awaits its reaper)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if int(ppid) == pid and state != "Z":
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_kill_9_of_ingest_leaves_no_checker_process_behind(stack: Stack, tmp_path: Path) -> None:
    port = stack.ingest.port + 19
    env = {
        **stack.ingest.env,
        "LISTFLOW_INGEST_HTTP_PORT": str(port),
        "LISTFLOW_INGEST_CHECK_WORKERS": "2",
        "LISTFLOW_INGEST_BATCH_ROWS": "500",
    }
    ingest = ServiceProcess("ingest", port, env, stack.ingest.log_dir / "checkers")
    ingest.start()
    left: set[int] = set()
    try:
        ingest.wait_ready()
        assert ingest.process is not None
        pid = ingest.process.pid
        data, _ = datagen.rows(30_000, seed=41, account_offset=4_000_000)
        path = datagen.write_csv(tmp_path / "checkers.csv", data)
        with (
            path.open("rb") as f,
            httpx.Client(
                base_url=ingest.url, headers={"X-API-Key": stack.tenants["acme"].key}, timeout=60
            ) as client,
        ):
            response = client.post(
                "/v1/uploads",
                files={"file": (path.name, f, "text/csv")},
                data={"options": '{"target": {"kind": "group", "name": "Checkers"}}'},
            )
        assert response.status_code == 202, response.text
        # The import runs in this ingest: wait until its checkers have started (a bound for a
        # loaded machine: at load 40 on two cores, 120 s was once not enough).
        checkers: set[int] = set()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and len(checkers) < 2:
            checkers = {c for c in _children(pid) if "spawn_main" in _cmdline(c)}
            time.sleep(0.1)
        assert len(checkers) == 2, (checkers, _children(pid))
        left = _children(pid)  # the checkers and multiprocessing's resource tracker

        os.kill(pid, signal.SIGKILL)  # ingest alone, as the OOM killer would: not its group
        ingest.process.wait()
        deadline = time.monotonic() + 15  # a generous bound; the kernel acts at once
        while time.monotonic() < deadline and any(_alive(c) for c in left):
            time.sleep(0.1)
        assert not [c for c in left if _alive(c)], [(c, _cmdline(c)) for c in left]
    finally:
        # Whatever the outcome, leave nothing of this ingest running.
        if ingest.process is not None:
            left |= _children(ingest.process.pid)
        ingest.stop(signal.SIGKILL)
        for child in left:
            if _alive(child):
                os.kill(child, signal.SIGKILL)
