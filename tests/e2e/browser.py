"""Runs one of console/e2e's browser scripts (Debian's Chromium, playwright-core) against
the test stack's gateway; the script prints one JSON line with what it saw."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import Stack

REPO = Path(__file__).resolve().parents[2]
CONSOLE = REPO / "console"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def run_script(stack: Stack, script: str, out: Path, **inputs: Any) -> dict[str, Any]:
    """The script's result (asserted `ok`); screenshots under `out`."""
    assert (CONSOLE / "node_modules" / "playwright-core").is_dir(), "run make test (npm ci)"
    assert shutil.which("node") and Path(CHROMIUM).exists()
    env = {
        **os.environ,
        "LISTFLOW_GATEWAY": stack.gateway_url,
        "LISTFLOW_E2E_OUT": str(out),
        "LISTFLOW_E2E_INPUT": json.dumps(inputs),
        "CHROMIUM": CHROMIUM,
    }
    done = subprocess.run(
        ["node", script], cwd=CONSOLE, env=env, capture_output=True, text=True, timeout=540
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the script printed no result (exit {done.returncode}): {done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    assert result["ok"], f"failed at {result.get('url')}: {result.get('error')} (see {out})"
    return result
