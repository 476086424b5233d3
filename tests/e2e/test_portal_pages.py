"""The customer portal in a real browser (Debian's Chromium driven by playwright-core, as
the console's tests are): every page passes axe-core's WCAG 2.2 AA checks with zero
violations at 390x844 and at desktop size, and the pay flow works with the keyboard alone,
through the payment simulator's hosted page, to the receipt."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Stack
from tests.integration.test_portal_pages import DOB, ZIP, customers

REPO = Path(__file__).resolve().parents[2]
CONSOLE = REPO / "console"
OUT = REPO / ".local" / "portal-e2e"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.timeout(600)


def run_portal(stack: Stack, **inputs: Any) -> dict[str, Any]:
    assert (CONSOLE / "node_modules" / "playwright-core").is_dir(), "run make test (npm ci)"
    assert shutil.which("node") and Path(CHROMIUM).exists()
    env = {
        **os.environ,
        "LISTFLOW_GATEWAY": stack.gateway_url,
        "LISTFLOW_E2E_OUT": str(OUT),
        "LISTFLOW_E2E_INPUT": json.dumps(inputs),
        "CHROMIUM": CHROMIUM,
    }
    done = subprocess.run(
        ["node", "e2e/portal.mjs"],
        cwd=CONSOLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the script printed no result (exit {done.returncode}): {done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    assert result["ok"], f"failed at {result.get('url')}: {result.get('error')} (see {OUT})"
    return result


def test_every_portal_page_passes_axe_and_the_pay_flow_needs_only_the_keyboard(
    stack: Stack, tmp_path: Path
) -> None:
    _, token, account = customers(stack, tmp_path, "console")
    result = run_portal(stack, token=token, account=account, dateOfBirth=DOB, postcode=ZIP)
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)
    assert result["pageErrors"] == []
    names = [p["name"] for p in result["pages"]]
    assert names == [
        "invalid",
        "verify",
        "accounts",
        "pay",
        "receipt",
        "history",
        "promise",
        "plan",
        "plan-schedule",
        "plan-agreed",
        "history-plan",
        "pay-instalment",
        "accounts-es",
        "signed-out",
        "ended",
    ]
    # Typed and submitted with Tab, typing and Enter only; the card on the provider's page.
    assert result["keyboard"]["providerPage"] is True
    assert "payment was received" in result["keyboard"]["receipt"]
    assert result["spanish"] == "Sus cuentas"
