"""The bench charges rows only with its own stack's CPU: its servers, not another stack's
processes of the same name, and net of what its idle stack spends over the phase."""

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from listflow.devstack.bench import _cpu_s, _net_of_idle


@pytest.fixture
def named_postgres(tmp_path: Path) -> Path:
    # A process's name in /proc is the name of the file it was started from.
    sleep = shutil.which("sleep")
    assert sleep is not None
    link = tmp_path / "postgres"
    link.symlink_to(sleep)
    return link


def _wait_for(predicate: Callable[[], bool]) -> None:
    for _ in range(100):
        if predicate():
            return
        time.sleep(0.05)


@pytest.fixture
def foreign_postgres(named_postgres: Path) -> Iterator[int]:
    """A process named postgres that is not the bench's child (another stack's server)."""
    out = subprocess.run(
        ["sh", "-c", f"{named_postgres} 30 >/dev/null 2>&1 & echo $!"],
        check=True,
        capture_output=True,
        text=True,
    )
    pid = int(out.stdout.strip())
    _wait_for(lambda: "(postgres)" in Path(f"/proc/{pid}/stat").read_text())
    yield pid
    os.kill(pid, 15)


def test_another_stacks_server_is_not_counted(foreign_postgres: int) -> None:
    assert Path(f"/proc/{foreign_postgres}/stat").read_text().split()[1] == "(postgres)"
    assert "postgresql" not in _cpu_s({})


def test_a_server_the_bench_started_is_counted(named_postgres: Path) -> None:
    child = subprocess.Popen([str(named_postgres), "30"])
    try:
        _wait_for(lambda: "(postgres)" in Path(f"/proc/{child.pid}/stat").read_text())
        assert "postgresql" in _cpu_s({})
    finally:
        child.kill()
        child.wait()


def test_cpu_per_row_net_of_idle_takes_off_the_idle_rate_over_the_phase() -> None:
    run = {"rows": 1000, "completed_s": 10.0, "cpu_us_per_row": {"kafka": 600.0, "ingest": 90.0}}
    # Kafka idles at 50 ms a second: 0.5 s over the phase, 500 us a row of 1,000 rows.
    idle = {"kafka": 50_000.0}
    assert _net_of_idle(run, idle) == {"kafka": 100.0, "ingest": 90.0}
