"""Spreadsheets in bounded memory (issue 16): a million-row XLSX streams through an ingest
process and its row checkers within 300 MB each, and a sheet that inflates to ~1 GB of XML is
refused at start, or fails fast, within the same bound.

Measured by each process's own peak resident size (VmHWM in /proc/<pid>/status), in an
ingest of its own, started fresh for these tests, so that no other test's file counts."""

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from listflow.devstack.processes import ServiceProcess

from tests.conftest import Stack, wait_for_status
from tests.integration.spreadsheet_files import write_xlsx
from tests.integration.test_checker_processes import _children, _cmdline
from tests.integration.test_preview import wait_for_preview

MB = 1024 * 1024
BOUND = 300 * MB
MILLION = 1_000_000
WIDE_CELL = 1_000

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")


def peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def peaks(ingest: ServiceProcess) -> dict[str, int]:
    """Peak RSS of the ingest process and of each of its row checkers."""
    assert ingest.process is not None
    pid = ingest.process.pid
    found = {"ingest": peak_rss(pid)}
    for child in _children(pid):
        if "spawn_main" in _cmdline(child):
            found[f"checker {child}"] = peak_rss(child)
    return found


@pytest.fixture(scope="module")
def ingest(stack: Stack) -> Iterator[ServiceProcess]:
    """An ingest of its own: the limits of a production one (a million rows fit), two row
    checkers, and a peak RSS that only these tests' files make."""
    env = {
        **stack.ingest.env,
        "LISTFLOW_INGEST_HTTP_PORT": str(stack.ingest.port + 19),
        "LISTFLOW_INGEST_CHECK_WORKERS": "2",
        "LISTFLOW_INGEST_BATCH_ROWS": "5000",
        "LISTFLOW_INGEST_MAX_ROWS": str(2 * MILLION),
        "LISTFLOW_INGEST_MAX_UPLOAD_BYTES": str(256 * MB),
    }
    process = ServiceProcess(
        "ingest", stack.ingest.port + 19, env, stack.ingest.log_dir / "bounded"
    )
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop(signal.SIGKILL)


@pytest.fixture
def client(stack: Stack, ingest: ServiceProcess) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=ingest.url, headers={"X-API-Key": stack.tenants["acme"].key}, timeout=120
    ) as client:
        yield client


def post(client: httpx.Client, path: Path, options: str) -> httpx.Response:
    with path.open("rb") as f:
        return client.post(
            "/v1/uploads",
            files={"file": (path.name, f, "application/octet-stream")},
            data={"options": options},
        )


@pytest.fixture(scope="module")
def inflating(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few MB of XLSX whose sheet is ~1 GB of XML: a million rows of one 1,000-character
    cell, and no header any field is known by."""
    path = tmp_path_factory.mktemp("inflating") / "inflating.xlsx"
    cell = "x" * WIDE_CELL
    write_xlsx(path, lambda: ([cell] for _ in range(MILLION)), shared=False)
    assert path.stat().st_size < 16 * MB  # ~8.8 MB: the row numbers differ row by row
    return path


def test_the_inflating_sheet_is_refused_at_start_within_the_bound(
    client: httpx.Client, ingest: ServiceProcess, inflating: Path
) -> None:
    response = post(client, inflating, '{"target": {"kind": "group", "name": "Inflating"}}')
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "No column maps to a field"
    assert all(peak < BOUND for peak in peaks(ingest).values()), peaks(ingest)


def test_the_inflating_sheet_mapped_to_a_field_fails_fast_within_the_bound(
    client: httpx.Client, ingest: ServiceProcess, inflating: Path
) -> None:
    options = '{"target": {"name": "Inflating"}, "header": false, "mapping": {"column_1": "phone"}}'
    response = post(client, inflating, options)
    assert response.status_code == 202, response.text
    done = wait_for_status(client, response.json()["id"], {"completed", "failed"})
    assert done["status"] == "failed", done
    assert done["failure"].startswith(
        "the first 1,000 rows are all invalid for the same reason: column_1: not a valid phone"
    )
    # Stopped after its first batches, not after a million rows (nor a million errors).
    assert done["progress"]["rows_read"] < 50_000
    assert all(peak < BOUND for peak in peaks(ingest).values()), peaks(ingest)


def million_rows() -> Iterator[list[str]]:
    yield ["Phone", "First name"]
    for i in range(MILLION):
        # One customer a million times (so the preview asks contacts one value): every row
        # read, validated and deduplicated; a name of its own per row, so that the sheet's
        # shared-strings table has a million entries, as Excel writes them.
        yield ["+12125550142", f"Ann {i:07d}"]


# About 2 minutes on a quiet 2-core machine (writing the file ~20 s, reading and checking a
# million rows ~40-60 s); the bound allows for a machine shared with other suites.
@pytest.mark.timeout(1800)
def test_a_million_row_xlsx_streams_within_the_bound(
    client: httpx.Client, ingest: ServiceProcess, tmp_path: Path
) -> None:
    path = tmp_path / "million.xlsx"
    write_xlsx(path, million_rows, shared=True)
    response = post(client, path, "{}")
    assert response.status_code == 202, response.text
    upload_id = response.json()["id"]
    assert client.post(f"/v1/uploads/{upload_id}/preview", json={}).status_code == 202
    preview = wait_for_preview(client, upload_id, timeout=1500)
    assert preview["status"] == "completed", preview
    assert preview["counts"] == {
        "rows": MILLION,
        "valid": 1,
        "invalid": 0,
        "duplicates": MILLION - 1,
    }
    measured = peaks(ingest)
    assert len(measured) == 3, measured  # ingest and its two checkers
    assert all(peak < BOUND for peak in measured.values()), measured
    print({name: f"{peak / MB:.0f} MB" for name, peak in measured.items()})
