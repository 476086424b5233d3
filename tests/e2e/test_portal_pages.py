"""The customer portal in a real browser (Debian's Chromium driven by playwright-core, as
the console's tests are): every page passes axe-core's WCAG 2.2 AA checks with zero
violations at 390x844 and at desktop size, and the pay flow works with the keyboard alone,
through the payment simulator's hosted page, to the receipt."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Stack
from tests.e2e.browser import REPO, run_script
from tests.integration.test_portal_pages import DOB, ZIP, customers

OUT = REPO / ".local" / "portal-e2e"

pytestmark = pytest.mark.timeout(600)


def run_portal(stack: Stack, **inputs: Any) -> dict[str, Any]:
    return run_script(stack, "e2e/portal.mjs", OUT, **inputs)


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
