"""The unsubscribe pages in a real browser (Debian's Chromium, playwright-core): the link of
a real campaign email unsubscribes at once, the undo button works with JavaScript off, and
every page (English, Spanish, a forged link) passes axe-core's WCAG 2.2 AA checks with
zero violations at phone and desktop size."""

import json
from pathlib import Path

import pytest

from tests.conftest import Stack
from tests.e2e.browser import REPO, run_script
from tests.integration.test_unsubscribe import emailed, header_link

OUT = REPO / ".local" / "unsubscribe-e2e"

pytestmark = pytest.mark.timeout(600)


def test_the_unsubscribe_pages_pass_axe_and_undo_needs_no_javascript(
    stack: Stack, tmp_path: Path
) -> None:
    sent = emailed(stack, tmp_path, "console", ("Uma",))
    [email] = sent.emails.values()
    result = run_script(stack, "e2e/unsubscribe.mjs", OUT, link=header_link(email))
    assert result["violations"] == [], json.dumps(result["violations"], indent=1)
    assert result["noScript"] == {
        "opened": "You are unsubscribed",
        "undone": "You are subscribed again",
    }
    assert [(p["name"], p["h1"]) for p in result["pages"]] == [
        ("unsubscribed", "You are unsubscribed"),
        ("resubscribed", "You are subscribed again"),
        ("unsubscribed-es", "Ya no está suscrito"),
        ("invalid", "This link is not valid"),
    ]
