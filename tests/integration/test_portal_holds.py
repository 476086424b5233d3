"""The hold option on the real stack: a promise made in the customer's pages holds the
customer's leads out of the dialer queue (contacts keeps the hold, leads withdraws), and
keeping the promise lifts it and puts them back."""

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from listflow.schemas import topics

from tests.conftest import Stack, upload, wait_for_status
from tests.integration.leads_helpers import (
    ALWAYS_OPEN,
    _read_until,
    assign,
    create_campaign,
    create_list,
    enable,
    new_phone,
    queued,
    read_queue,
    unique,
    upload_leads,
    withdrawn,
    write_csv,
)
from tests.integration.test_portal_links import _issued
from tests.integration.test_portal_pages import DOB, ZIP, _csrf, pay, verified


def snapshots(contact_id: str, until: Any) -> list[dict[str, Any]]:
    """The contact's snapshots on contacts.changes.v1, once `until` holds for them."""

    def pick(record: Any) -> dict[str, Any] | None:
        body: dict[str, Any] = orjson.loads(record.value)
        contact: dict[str, Any] = body.get("contact", {})
        return contact if contact.get("id") == contact_id else None

    return asyncio.run(_read_until(topics.CONTACT_CHANGES.name, pick, until, 120))


def test_a_promise_holds_the_customers_leads_out_of_the_queue_until_it_is_kept(
    stack: Stack, tmp_path: Path
) -> None:
    acme = stack.client("acme")
    phone = new_phone()
    # The customer, in a contacts group (its link comes with the group's ListReady) ...
    group, number = unique("Held"), f"HD-{secrets.token_hex(4)}"
    path = write_csv(
        tmp_path / "customers.csv",
        ["First name", "Account number", "Balance", "Currency", "Date of birth", "Zip code",
         "Phone"],
        [["Ana", number, "120.50", "USD", DOB, ZIP, phone]],
    )  # fmt: skip
    options = {"target": {"kind": "group", "name": group}, "match": {"key": "account_number"}}
    done = wait_for_status(acme, upload(acme, path, options)["id"], {"completed"})
    assert done["counts"]["imported"] == 1
    [contact] = acme.get("/v1/contacts", params={"group": group}).json()["items"]
    [issued] = [e for e in _issued({contact["id"]}) if e["ce_type"].endswith("Issued")]
    token = issued["url"].split("/p/", 1)[1]
    account_id = f"{contact['id']}:{number}"

    # ... and the same number in a dialer list, queued.
    calls = create_campaign(acme, unique("Collections"), **ALWAYS_OPEN)
    lst = create_list(acme, unique("Dial held"))
    assign(acme, lst["id"], calls["id"])
    other = new_phone()
    leads = write_csv(tmp_path / "leads.csv", ["Name", "Phone1"], [["Ana", phone], ["Bob", other]])
    upload_leads(acme, leads, lst["name"])
    enable(acme, lst["id"])
    first = queued(read_queue(calls["id"], lambda m: len(queued(m)) >= 2))
    [held_lead] = [q["lead_id"] for q in first if q["phones"] == [phone]]

    # A promise in the pages: the tenant's default holds the customer until its due date.
    b = verified(stack, token)
    form = b.get("/p/promise", params={"account": account_id})
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    made = b.post(
        "/p/promise",
        data={"csrf": _csrf(form.text), "account": account_id, "amount": "50.00", "due_date": due},
    )
    assert made.status_code == 200 and "promise is recorded" in made.text

    held = snapshots(contact["id"], lambda s: any(x.get("held_until") for x in s))
    assert [(x["held_until"], x["hold_reason"]) for x in held if x.get("held_until")][-1] == (
        due,
        "promise",
    )
    gone = withdrawn(read_queue(calls["id"], lambda m: len(withdrawn(m)) >= 1))
    assert [(w["lead_id"], w["reason"]) for w in gone] == [(held_lead, "arrangement")]
    lead = acme.get(f"/v1/leads/{held_lead}").json()
    assert lead["status"] != "queued"

    # Paying the promised amount keeps the promise: the hold is lifted, the lead queued again.
    pay(b, account_id, "50.00", "4242 4242 4242 4242")
    lifted = snapshots(
        contact["id"],
        lambda s: bool(s) and s[-1].get("held_until") is None and len(s) > len(held),
    )
    assert lifted[-1].get("hold_reason") is None
    back = queued(read_queue(calls["id"], lambda m: len(queued(m)) >= 3))
    # The topic is keyed by lead, so its partitions come back in no set order: pick by lead.
    again = [
        q
        for q in back
        if q["lead_id"] == held_lead and q["queue_id"] not in {f["queue_id"] for f in first}
    ]
    assert len(again) == 1, "the held lead is queued again once, under a new queue id"
    assert [q["lead_id"] for q in back].count(held_lead) == 2
    # The other customer's lead was never touched.
    assert [q["lead_id"] for q in back].count(
        next(q["lead_id"] for q in first if q["phones"] == [other])
    ) == 1
