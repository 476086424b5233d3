"""Lead lists, uploads into them, duplicate scopes, churn and the dialer queue (issue 5),
against the real Kafka and FerretDB and the leads, ingest and contacts processes."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from listflow.schemas import topics

from tests.conftest import Stack
from tests.integration.leads_helpers import (
    ALWAYS_OPEN,
    assign,
    by_phone,
    create_campaign,
    create_list,
    enable,
    leads_of,
    national,
    new_phone,
    outcome,
    produce,
    queued,
    read_queue,
    read_upload_events,
    redeliver,
    unique,
    upload_leads,
    wait_until,
    withdrawn,
    write_csv,
)

HEADER = ["Name", "Phone1", "Phone2", "Time zone"]


@pytest.fixture
def acme(stack: Stack) -> Any:
    with stack.client("acme") as client:
        yield client


def test_a_dialer_leads_file_becomes_leads_with_per_row_outcomes(
    stack: Stack, acme: httpx.Client, tmp_path: Path
) -> None:
    name = unique("Spring leads")
    created = create_list(
        acme,
        name,
        time_zone="Europe/Madrid",
        owner="ops@acme.test",
        description="spring campaign",
        fields=[
            {"name": "Amount", "type": "number", "nullable": False},
            {"name": "Ref", "type": "text", "unique": True},
        ],
    )
    # p4 is toll free: no time zone of its own, so the lead gets the list's.
    p1, p2, p3, p4 = new_phone(), new_phone("212"), new_phone(), new_phone("800")
    path = tmp_path / "leads.csv"
    write_csv(
        path,
        [*HEADER, "Amount", "Ref"],
        [
            ["Ana García", national(p1), "", "America/Chicago", "120.50", "R1"],  # imported
            ["Bob Stone", p2, national(p3), "", "99", "R2"],  # imported, zone from phone
            ["Bad Phone", "12", "", "", "1", "R3"],  # invalid phone
            ["No Amount", new_phone(), "", "", "", "R4"],  # required custom field missing
            ["Ana again", p1, "", "", "5", "R5"],  # in-file duplicate of row 1
            ["Bad Number", new_phone(), "", "", "lots", "R6"],  # not a number
            ["Same Ref", new_phone(), "", "", "3", "R1"],  # unique custom field repeated
            ["Toll", p4, "", "", "7", "R8"],  # imported
        ],
    )
    done = upload_leads(acme, path, name)
    assert done["counts"] == {
        "total": 8,
        "imported": 3,
        "updated": 0,
        "skipped": 0,
        "duplicates": 1,
        "errors": 4,
    }
    leads = by_phone(leads_of(acme, created["id"]))
    assert set(leads) == {p1, p2, p3, p4}
    ana = leads[p1]
    assert ana["data"]["name"] == "Ana García"
    assert ana["data"]["time_zone"] == "America/Chicago"  # from the file
    assert {c["name"]: c["value"] for c in ana["data"]["custom"]} == {"Amount": 120.5, "Ref": "R1"}
    assert leads[p2]["data"]["time_zone"] == "America/New_York"  # from the first phone (212)
    assert [p["e164"] for p in leads[p2]["data"]["phones"]] == [p2, p3]
    assert leads[p4]["data"]["time_zone"] == "Europe/Madrid"  # from the list
    assert ana["status"] == "new"
    report = acme.get(f"/v1/uploads/{done['id']}/errors.csv")
    assert report.status_code == 200
    for reason in ("not a valid phone number", "required value is missing", "must be unique"):
        assert reason in report.text

    # Redelivered rows: the same outcomes again, no second lead.
    rows = read_upload_events(topics.LEAD_ROWS.name, done["id"], lambda seen: len(seen) >= 3)
    redeliver(topics.LEAD_ROWS.name, rows)
    outcomes = read_upload_events(
        topics.ROW_OUTCOMES.name,
        done["id"],
        lambda seen: sum(len(b["outcomes"]) for _, b, _ in seen) >= 6,
    )
    statuses = sorted(o["status"] for _, body, _ in outcomes for o in body["outcomes"])
    assert statuses == ["imported"] * 6
    assert len(leads_of(acme, created["id"])) == 3
    again = acme.get(f"/v1/uploads/{done['id']}").json()
    assert again["counts"] == done["counts"]


def test_a_named_list_that_does_not_exist_is_created_by_the_upload(
    acme: httpx.Client, tmp_path: Path
) -> None:
    name = unique("Walk-in")
    path = write_csv(tmp_path / "w.csv", HEADER, [["Zoe", new_phone(), "", ""]])
    done = upload_leads(acme, path, name)
    assert done["counts"]["imported"] == 1
    lists = acme.get("/v1/lead-lists", params={"limit": 1000}).json()["items"]
    made = next(x for x in lists if x["name"] == name)
    assert made["enabled"] is False
    assert made["time_zone"] == "UTC"
    assert len(leads_of(acme, made["id"])) == 1


SCOPES = [
    # scope, action, expected outcome of the rows sharing a phone with the lead in list A
    # (which shares a campaign with the target B), with the lead in C (no campaign) and with
    # the lead already in B.
    ("none", "skip", ("imported", "imported", "imported")),
    ("none", "update", ("imported", "imported", "imported")),
    ("none", "migrate", ("imported", "imported", "imported")),
    ("list", "skip", ("imported", "imported", "skipped")),
    ("list", "update", ("imported", "imported", "updated")),
    ("list", "migrate", ("imported", "imported", "updated")),
    ("campaign", "skip", ("skipped", "imported", "skipped")),
    ("campaign", "update", ("updated", "imported", "updated")),
    ("campaign", "migrate", ("updated", "imported", "updated")),
    ("tenant", "skip", ("skipped", "skipped", "skipped")),
    ("tenant", "update", ("updated", "updated", "updated")),
    ("tenant", "migrate", ("updated", "updated", "updated")),
]


@pytest.mark.parametrize(("scope", "action", "expected"), SCOPES)
def test_duplicate_scopes_and_actions(
    acme: httpx.Client, tmp_path: Path, scope: str, action: str, expected: tuple[str, ...]
) -> None:
    campaign = create_campaign(acme, unique("Dups"))
    a, b, c = (create_list(acme, unique(n)) for n in ("A", "B", "C"))
    assign(acme, a["id"], campaign["id"])
    assign(acme, b["id"], campaign["id"])
    pa, pa2, pb, pc = new_phone(), new_phone(), new_phone(), new_phone()
    upload_leads(acme, write_csv(tmp_path / "a.csv", HEADER, [["Old A", pa, pa2, ""]]), a["name"])
    upload_leads(acme, write_csv(tmp_path / "b.csv", HEADER, [["Old B", pb, "", ""]]), b["name"])
    upload_leads(acme, write_csv(tmp_path / "c.csv", HEADER, [["Old C", pc, "", ""]]), c["name"])
    # Row 1 matches A's lead by its second phone; rows 2 and 3 match by the first.
    path = write_csv(
        tmp_path / "new.csv",
        HEADER,
        [["New A", pa2, "", ""], ["New C", pc, "", ""], ["New B", pb, "", ""]],
    )
    done = upload_leads(acme, path, b["name"], duplicates={"scope": scope, "action": action})
    counts = done["counts"]
    want = {s: list(expected).count(s) for s in ("imported", "updated", "skipped")}
    assert {k: counts[k] for k in want} == want

    in_a, in_b, in_c = (by_phone(leads_of(acme, x["id"])) for x in (a, b, c))
    for (row_name, old_list, phone), result in zip(
        (("New A", in_a, pa2), ("New C", in_c, pc)), expected[:2], strict=True
    ):
        if result == "imported":
            assert in_b[phone]["data"]["name"] == row_name
            assert phone in old_list  # the old lead stays as it was
        elif result == "skipped":
            assert phone not in in_b
            assert old_list[phone]["data"]["name"] != row_name
        elif action == "update":
            assert old_list[phone]["data"]["name"] == row_name  # updated where it is
            assert phone not in in_b
        else:
            assert phone not in old_list  # migrated, carrying the new data
            assert in_b[phone]["data"]["name"] == row_name
    names_b = sorted(
        x["data"]["name"]
        for x in leads_of(acme, b["id"])
        if pb in {p["e164"] for p in x["data"]["phones"]}
    )
    assert (
        names_b
        == {
            "imported": ["New B", "Old B"],
            "skipped": ["Old B"],
            "updated": ["New B"],
        }[expected[2]]
    )
    if scope == "campaign" and action == "migrate":
        moved = in_b[pa2]
        assert [p["e164"] for p in moved["data"]["phones"]] == [pa2]
        assert in_a == {}


def test_churn_resets_dial_state_and_requeues(
    stack: Stack, acme: httpx.Client, tmp_path: Path
) -> None:
    tenant = stack.tenants["acme"].id
    campaign = create_campaign(acme, unique("Churn"), retry={"max_attempts": 1}, **ALWAYS_OPEN)
    lst = create_list(acme, unique("Churned"), enabled=True)
    assign(acme, lst["id"], campaign["id"])
    phone = new_phone()
    upload_leads(
        acme, write_csv(tmp_path / "1.csv", HEADER, [["Cara", phone, "", ""]]), lst["name"]
    )
    first = queued(read_queue(campaign["id"], lambda m: len(queued(m)) >= 1))[0]
    produce(topics.DIAL_OUTCOMES.name, [outcome(tenant, first, "no_answer")])
    wait_until(lambda: leads_of(acme, lst["id"])[0]["status"] == "completed")
    assert leads_of(acme, lst["id"])[0]["attempts"] == 1

    # Without churn a re-upload changes data but not the dial state.
    path = write_csv(tmp_path / "2.csv", HEADER, [["Cara B", phone, "", ""]])
    upload_leads(acme, path, lst["name"], duplicates={"scope": "list", "action": "update"})
    lead = leads_of(acme, lst["id"])[0]
    assert (lead["data"]["name"], lead["status"], lead["attempts"]) == ("Cara B", "completed", 1)

    upload_leads(
        acme, path, lst["name"], duplicates={"scope": "list", "action": "skip"}, churn=True
    )
    messages = read_queue(campaign["id"], lambda m: len(queued(m)) >= 2)
    again = queued(messages)[1]
    assert again["lead_id"] == first["lead_id"]
    assert again["attempt"] == 1
    assert again["queue_id"] != first["queue_id"]
    lead = leads_of(acme, lst["id"])[0]
    assert lead["attempts"] == 0
    assert lead["status"] == "queued"


def test_queue_on_ready_and_assignment_once_per_campaign_even_when_redelivered(
    stack: Stack, acme: httpx.Client, tmp_path: Path
) -> None:
    one = create_campaign(acme, unique("One"), **ALWAYS_OPEN)
    two = create_campaign(acme, unique("Two"), **ALWAYS_OPEN)
    lst = create_list(acme, unique("Queue me"))
    assign(acme, lst["id"], one["id"])
    phones = [new_phone() for _ in range(3)]
    path = write_csv(
        tmp_path / "q.csv", HEADER, [[f"L{i}", p, "", ""] for i, p in enumerate(phones)]
    )
    done = upload_leads(acme, path, lst["name"])
    assert all(x["status"] == "new" for x in leads_of(acme, lst["id"]))  # not enabled yet

    enable(acme, lst["id"])
    first = queued(read_queue(one["id"], lambda m: len(queued(m)) >= 3))
    assert sorted(q["phones"][0] for q in first) == sorted(phones)
    assert all(q["attempt"] == 1 and q["list_id"] == lst["id"] for q in first)
    assert len({q["queue_id"] for q in first}) == 3

    # A later assignment queues for that campaign too.
    assign(acme, lst["id"], two["id"])
    assert len(queued(read_queue(two["id"], lambda m: len(queued(m)) >= 3))) == 3

    # ListReady redelivered; then a sentinel on the same key (same partition, so processed
    # after it): a new list's ready event that queues exactly one lead.
    ready = read_upload_events(topics.LISTS_READY.name, done["id"], lambda seen: len(seen) >= 1)
    sentinel_list = create_list(acme, unique("Sentinel"), enabled=True)
    assign(acme, sentinel_list["id"], one["id"])
    sentinel_phone = new_phone()
    sentinel = upload_leads(
        acme,
        write_csv(tmp_path / "s.csv", HEADER, [["S", sentinel_phone, "", ""]]),
        sentinel_list["name"],
    )
    sentinel_ready = read_upload_events(
        topics.LISTS_READY.name, sentinel["id"], lambda seen: len(seen) >= 1
    )
    key = ready[0][0]
    redeliver(
        topics.LISTS_READY.name,
        [ready[0], (key, sentinel_ready[0][1], sentinel_ready[0][2])],
    )
    messages = read_queue(one["id"], lambda m: len(queued(m)) >= 4)
    ids = [q["queue_id"] for q in queued(messages)]
    assert len(ids) == len(set(ids)) == 4
    assert {q["phones"][0] for q in queued(messages)} == {*phones, sentinel_phone}

    # Unassigning withdraws the list's queued leads from that campaign only.
    response = acme.delete(f"/v1/lead-lists/{lst['id']}/campaigns/{two['id']}")
    assert response.status_code == 200
    gone = withdrawn(read_queue(two["id"], lambda m: len(withdrawn(m)) >= 3))
    assert {w["lead_id"] for w in gone} == {q["lead_id"] for q in first}
    # Assigned again: queued again, as new queue entries.
    assign(acme, lst["id"], two["id"])
    back = queued(read_queue(two["id"], lambda m: len(queued(m)) >= 6))
    assert len({q["queue_id"] for q in back}) == 6

    stats = acme.get(f"/v1/dialer-campaigns/{one['id']}/stats").json()
    assert stats["total"] == 4
    assert stats["queued"] == 4


def test_do_not_call_numbers_are_never_queued(
    stack: Stack, acme: httpx.Client, tmp_path: Path
) -> None:
    campaign = create_campaign(acme, unique("DNC"), **ALWAYS_OPEN)
    lst = create_list(acme, unique("DNC list"), enabled=True)
    assign(acme, lst["id"], campaign["id"])
    blocked, other, fine, first, second = (new_phone() for _ in range(5))
    response = acme.post("/v1/dnc", json={"phones": [national(blocked)]})
    assert response.status_code == 201, response.text
    assert response.json()["added"] == [blocked]
    assert acme.post("/v1/dnc", json={"phones": ["nope"]}).status_code == 422
    path = write_csv(
        tmp_path / "d.csv",
        HEADER,
        [
            ["Blocked", blocked, "", ""],
            ["Two phones", other, blocked, ""],
            ["Fine", fine, "", ""],
            ["Pair", first, second, ""],
        ],
    )
    upload_leads(acme, path, lst["name"], duplicates={"scope": "none", "action": "skip"})
    messages = read_queue(campaign["id"], lambda m: len(queued(m)) >= 3)
    phones = sorted(tuple(q["phones"]) for q in queued(messages))
    assert phones == sorted([(other,), (fine,), (first, second)])  # the blocked one left out
    wait_until(lambda: "dnc" in {x["status"] for x in leads_of(acme, lst["id"])})
    stats = acme.get(f"/v1/lead-lists/{lst['id']}/stats").json()
    assert (stats["total"], stats["dnc"], stats["queued"]) == (4, 1, 3)
    suppressed = acme.get("/v1/leads", params={"list": lst["id"], "status": "dnc"}).json()
    assert [x["data"]["name"] for x in suppressed["items"]] == ["Blocked"]
    listed = acme.get("/v1/dnc", params={"limit": 1000}).json()["items"]
    assert blocked in {x["phone"] for x in listed}

    # Numbers added later: their leads are withdrawn; one left with a number to call is
    # queued again without the blocked one (under a new queue id), the others are not.
    added = acme.post("/v1/dnc", json={"phones": [other, fine, first]}).json()
    assert added["leads_suppressed"] == 2
    messages = read_queue(campaign["id"], lambda m: len(withdrawn(m)) >= 3 and len(queued(m)) >= 4)
    assert {w["lead_id"] for w in withdrawn(messages)} == {q["lead_id"] for q in queued(messages)}
    again = [q for q in queued(messages) if q["phones"] == [second]]
    assert len(again) == 1
    assert again[0]["queue_id"] not in {w["queue_id"] for w in withdrawn(messages)}
    wait_until(
        lambda: (
            sorted(x["status"] for x in leads_of(acme, lst["id"]))
            == ["dnc", "dnc", "dnc", "queued"]
        )
    )
    assert acme.delete(f"/v1/dnc/{national(fine)}").status_code == 204
    assert acme.delete(f"/v1/dnc/{national(fine)}").status_code == 404


def test_outcomes_drive_retries_and_list_reset_requeues(
    stack: Stack, acme: httpx.Client, tmp_path: Path
) -> None:
    tenant = stack.tenants["acme"].id
    campaign = create_campaign(
        acme,
        unique("Retry"),
        retry={"max_attempts": 2, "gap_minutes": {"no_answer": 0, "busy": 0}},
        **ALWAYS_OPEN,
    )
    lst = create_list(acme, unique("Retry list"), enabled=True)
    assign(acme, lst["id"], campaign["id"])
    pa, pb = new_phone(), new_phone()
    upload_leads(
        acme,
        write_csv(tmp_path / "r.csv", HEADER, [["A", pa, "", ""], ["B", pb, "", ""]]),
        lst["name"],
    )
    first = {
        q["phones"][0]: q for q in queued(read_queue(campaign["id"], lambda m: len(queued(m)) >= 2))
    }
    # A answers: done. B is busy: queued again (attempt 2), even if the outcome is redelivered.
    busy = outcome(tenant, first[pb], "busy")
    produce(topics.DIAL_OUTCOMES.name, [outcome(tenant, first[pa], "answered"), busy, busy])
    messages = read_queue(campaign["id"], lambda m: len(queued(m)) >= 3)
    # Partitions interleave: the retry is the message that is not one of the first two.
    initial = {q["queue_id"] for q in first.values()}
    retry = next(q for q in queued(messages) if q["queue_id"] not in initial)
    assert (retry["lead_id"], retry["attempt"]) == (first[pb]["lead_id"], 2)
    # A second no answer reaches max_attempts: B is done too.
    produce(topics.DIAL_OUTCOMES.name, [outcome(tenant, retry, "no_answer")] * 2)
    wait_until(lambda: {x["status"] for x in leads_of(acme, lst["id"])} == {"completed"})
    leads = by_phone(leads_of(acme, lst["id"]))
    assert (leads[pa]["attempts"], leads[pa]["last_result"]) == (1, "answered")
    assert (leads[pb]["attempts"], leads[pb]["last_result"]) == (2, "no_answer")
    stats = acme.get(f"/v1/lead-lists/{lst['id']}/stats").json()
    assert stats["completed"] == 2
    assert stats["by_result"] == {"answered": 1, "no_answer": 1}
    assert len(queued(read_queue(campaign["id"], lambda m: len(queued(m)) >= 3))) == 3

    reset = acme.post(f"/v1/lead-lists/{lst['id']}/reset")
    assert reset.status_code == 200
    before = initial | {retry["queue_id"]}
    again = [
        q
        for q in queued(read_queue(campaign["id"], lambda m: len(queued(m)) >= 5))
        if q["queue_id"] not in before
    ]
    assert sorted(q["phones"][0] for q in again) == sorted([pa, pb])
    assert all(q["attempt"] == 1 for q in again)


def test_deleting_a_lead_or_a_list_withdraws_them(
    stack: Stack, acme: httpx.Client, tmp_path: Path
) -> None:
    campaign = create_campaign(acme, unique("Delete"), **ALWAYS_OPEN)
    lst = create_list(acme, unique("Doomed"), enabled=True)
    assign(acme, lst["id"], campaign["id"])
    upload_leads(
        acme, write_csv(tmp_path / "x.csv", HEADER, [["X", new_phone(), "", ""]]), lst["name"]
    )
    read_queue(campaign["id"], lambda m: len(queued(m)) >= 1)
    one = leads_of(acme, lst["id"])[0]
    assert acme.delete(f"/v1/leads/{one['id']}").status_code == 204
    assert acme.get(f"/v1/leads/{one['id']}").status_code == 404
    read_queue(campaign["id"], lambda m: len(withdrawn(m)) >= 1)
    upload_leads(
        acme, write_csv(tmp_path / "y.csv", HEADER, [["Y", new_phone(), "", ""]]), lst["name"]
    )
    read_queue(campaign["id"], lambda m: len(queued(m)) >= 2)
    refused = acme.delete(f"/v1/lead-lists/{lst['id']}")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert acme.delete(f"/v1/lead-lists/{lst['id']}", params={"confirm": "true"}).status_code == 204
    read_queue(campaign["id"], lambda m: len(withdrawn(m)) >= 2)
    assert acme.get(f"/v1/lead-lists/{lst['id']}").status_code == 404
    assert leads_of(acme, lst["id"]) == []


def test_lists_belong_to_their_tenant(stack: Stack, acme: httpx.Client) -> None:
    lst = create_list(acme, unique("Private"))
    campaign = create_campaign(acme, unique("Private"))
    with stack.client("globex") as globex:
        theirs = create_list(globex, unique("Theirs"))
        assert (
            globex.put(f"/v1/lead-lists/{theirs['id']}/campaigns/{campaign['id']}").status_code
            == 404
        )
        assert globex.get(f"/v1/dialer-campaigns/{campaign['id']}").status_code == 404
        assert globex.get("/v1/leads", params={"list": lst["id"]}).json()["items"] == []
        assert globex.get(f"/v1/lead-lists/{lst['id']}").status_code == 404
        assert (
            globex.patch(f"/v1/lead-lists/{lst['id']}", json={"enabled": True}).status_code == 404
        )
        names = {x["name"] for x in globex.get("/v1/lead-lists").json()["items"]}
        assert lst["name"] not in names
    assert acme.post("/v1/lead-lists", json={"name": lst["name"]}).status_code == 409
    edited = acme.patch(
        f"/v1/lead-lists/{lst['id']}", json={"description": "edited", "time_zone": "america/bogota"}
    ).json()
    assert (edited["description"], edited["time_zone"]) == ("edited", "America/Bogota")


def test_asyncapi_documents_queue_and_outcome_topics(stack: Stack) -> None:
    import json

    document = httpx.get(f"{stack.leads.url}/asyncapi.json").json()
    text = json.dumps(document)
    for name in (
        "leads.queue.v1",
        "leads.dial-outcomes.v1",
        "ingest.lead-rows.v1",
        "lists.ready.v1",
        "LeadQueued",
        "LeadWithdrawn",
        "DialOutcome",
        "LeadRowParsed",
    ):
        assert name in text, name
    schemas = document["components"]["schemas"]
    for model in ("LeadQueued", "LeadWithdrawn", "DialOutcome", "LeadCreated", "RowOutcomes"):
        assert model in schemas, model
    assert set(schemas["DialOutcome"]["required"]) >= {"queue_id", "lead_id", "result"}
    ingest = json.dumps(httpx.get(f"{stack.ingest.url}/asyncapi.json").json())
    assert "ingest.lead-rows.v1" in ingest
    assert "LeadRowParsed" in ingest


def test_the_reference_dialer_consumes_the_queue_and_reports_outcomes(
    stack: Stack, acme: httpx.Client
) -> None:
    import subprocess
    import sys

    from tests.conftest import PROFILE

    campaign = create_campaign(acme, unique("Example dialer"), **ALWAYS_OPEN)
    lst = create_list(acme, unique("Example"), enabled=True)
    assign(acme, lst["id"], campaign["id"])
    root = Path(__file__).resolve().parents[2]
    upload_leads(acme, root / "examples" / "leads.csv", lst["name"])
    subprocess.run(
        [
            sys.executable,
            str(root / "examples" / "dialer.py"),
            "--bootstrap",
            PROFILE.kafka_bootstrap,
            "--campaign",
            campaign["id"],
            "--group",
            f"example-{campaign['id']}",
            "--max-calls",
            "3",
        ],
        check=True,
        timeout=180,
    )
    wait_until(lambda: all(x["attempts"] == 1 for x in leads_of(acme, lst["id"])))
    assert all(x["last_result"] for x in leads_of(acme, lst["id"]))


def test_unique_custom_fields_are_unique_across_uploads_into_a_list(
    acme: httpx.Client, tmp_path: Path
) -> None:
    lst = create_list(acme, unique("Unique"), fields=[{"name": "Ref", "unique": True}])
    p1, p2, p3, p4 = (new_phone() for _ in range(4))
    header = ["Name", "Phone1", "Ref"]
    first = upload_leads(
        acme, write_csv(tmp_path / "1.csv", header, [["A", p1, "R1"], ["B", p2, "R2"]]), lst["name"]
    )
    assert first["counts"]["imported"] == 2
    second = upload_leads(
        acme,
        write_csv(tmp_path / "2.csv", header, [["C", p3, "R1"], ["B", p2, "R9"]]),
        lst["name"],
        duplicates={"scope": "list", "action": "update"},
    )
    assert (second["counts"]["imported"], second["counts"]["updated"]) == (0, 1)
    assert second["counts"]["errors"] == 1
    report = acme.get(f"/v1/uploads/{second['id']}/errors.csv").text
    assert "must be unique in the list" in report
    # R2 was given up by B, so another lead may take it now.
    third = upload_leads(
        acme, write_csv(tmp_path / "3.csv", header, [["D", p4, "R2"]]), lst["name"]
    )
    assert third["counts"]["imported"] == 1
    refs = {
        lead["data"]["phones"][0]["e164"]: lead["data"]["custom"][0]["value"]
        for lead in leads_of(acme, lst["id"])
    }
    assert refs == {p1: "R1", p2: "R9", p4: "R2"}
