"""Files larger than one reply of the database protocol import whole."""

import csv
from pathlib import Path

import pytest

from tests.conftest import Stack, upload, wait_for_status

ROWS = 1_700
NOTE = 30_000  # characters per row: the file is ~51 MB, over FerretDB's 48 MB reply limit


def test_a_file_over_the_wire_protocol_reply_limit_imports_every_row(
    stack: Stack, tmp_path: Path
) -> None:
    path = tmp_path / "large.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Account number", "First name", "Notes"])
        for i in range(ROWS):
            writer.writerow([f"BIG-{i:05d}", "Ann", f"{i:05d}" + "x" * (NOTE - 5)])
    assert path.stat().st_size > 48_000_000
    with stack.client("acme") as client:
        accepted = upload(client, path, {"target": {"kind": "group", "name": "Large file"}})
        done = wait_for_status(client, accepted["id"], {"completed", "failed"})
        assert done["status"] == "completed", done
        assert done["counts"]["imported"] == ROWS
        errors = client.get(f"/v1/uploads/{accepted['id']}/errors.csv")
    assert errors.status_code == 200
    assert len(errors.text.splitlines()) == 1  # the header only


@pytest.fixture
def tmp_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("large")
