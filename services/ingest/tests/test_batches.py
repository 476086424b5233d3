import asyncio
import multiprocessing
import pickle

import orjson
import pytest
from listflow.ingest.adapters.checker_pool import CheckerPool
from listflow.ingest.domain.batches import (
    CheckedBatch,
    CheckedRow,
    CheckSpec,
    DuplicateSorter,
    LeadSpec,
    RowChecker,
)
from listflow.ingest.domain.fields import resolve_mapping
from listflow.ingest.domain.file_rows import BrokenRow, OversizedRow, RaggedRow, Row
from listflow.ingest.domain.lead_rows import LeadConverter, LeadListInfo, narrow_mapping
from listflow.ingest.domain.rows import RowOptions
from listflow.kit.pii import Protector
from listflow.schemas.events import ContactRowParsed
from listflow.schemas.leads import CustomFieldDefinition, DuplicatePolicy, LeadRowParsed
from listflow.schemas.values import (
    Consents,
    InFileDuplicates,
    MatchKey,
    MatchPolicy,
    TargetKind,
    TargetRef,
)

SECRET = "test-secret-0123456789"
HEADERS = ("First name", "Phone", "SSN", "Account number")


def spec(**changes: object) -> CheckSpec:
    values: dict[str, object] = {
        "run_id": "run-1",
        "upload_id": "u1",
        "tenant_id": "acme",
        "headers": HEADERS,
        "mapping": resolve_mapping(HEADERS, None),
        "row_options": RowOptions(default_region="US"),
        "key": MatchKey.ACCOUNT_NUMBER,
        "match": MatchPolicy(key=MatchKey.ACCOUNT_NUMBER),
        "target": TargetRef(kind=TargetKind.GROUP, id="g1", name="March"),
    }
    values.update(changes)
    return CheckSpec(**values)  # type: ignore[arg-type]


BATCH: list[Row | BrokenRow] = [
    (1, ["Ann", "(212) 555-0101", "123-45-6789", "a-1"]),
    (2, ["Bob", "not a phone", None, "A-2"]),
    (3, ["Cid", "212 555 0103", None, None]),
    RaggedRow(row_number=4, expected=4, found=6),
    (5, ["Ann again", "212-555-0101", None, "A-1"]),
]


def test_valid_rows_become_encoded_row_events_keyed_by_their_match_value() -> None:
    checked = RowChecker(spec(tags=("march",)), Protector(SECRET)).check(BATCH)
    assert checked.size == 5
    assert [(r.row_number, r.match_value) for r in checked.rows] == [(1, "A-1"), (5, "A-1")]
    event = ContactRowParsed.model_validate(orjson.loads(checked.rows[0].body))
    assert event.upload_id == "u1" and event.row_number == 1
    assert event.contact.phones[0].e164 == "+12125550101"
    assert event.contact.tags == ("march",)
    assert event.contact.ssn is not None and event.contact.ssn.last4 == "6789"
    assert b"123-45-6789" not in checked.rows[0].body


def test_rejected_rows_say_which_column_and_why() -> None:
    checked = RowChecker(spec(), Protector(SECRET)).check(BATCH)
    by_row = {o["row_number"]: o for o in checked.invalid}
    assert set(by_row) == {2, 3, 4}
    assert by_row[2]["column"] == "Phone" and "not a valid phone number" in by_row[2]["reason"]
    assert by_row[3]["reason"] == "no value for the match key account_number"
    assert by_row[4]["reason"] == "row has 6 cells but the header has 4"


def test_a_row_with_an_oversized_cell_is_invalid_without_echoing_the_cell() -> None:
    batch: list[Row | BrokenRow] = [
        OversizedRow(row_number=8, column="Name", length=40_000, limit=32_768),
        (9, ["Ann", "(212) 555-0101", None, "A-9"]),
    ]
    checked = RowChecker(spec(), Protector(SECRET)).check(batch)
    assert [r.row_number for r in checked.rows] == [9]
    [outcome] = checked.invalid
    assert outcome["row_number"] == 8 and outcome["column"] == "Name"
    assert outcome["reason"] == "the cell has 40,000 characters; at most 32,768 are allowed"
    assert outcome["value"] == "" and outcome["cells"] is None


def test_national_ids_are_masked_in_the_original_row_of_a_rejected_row() -> None:
    bad: list[Row | BrokenRow] = [(7, ["Eve", "nope", "123-45-6789", "A-7"])]
    [outcome] = RowChecker(spec(), Protector(SECRET)).check(bad).invalid
    assert outcome["cells"][2] == "*******6789"


def test_consents_of_the_upload_fill_what_the_row_does_not_say() -> None:
    checker = RowChecker(spec(consents=Consents(email=True, sms=False)), Protector(SECRET))
    event = ContactRowParsed.model_validate(orjson.loads(checker.check(BATCH).rows[0].body))
    assert (event.contact.consents.email, event.contact.consents.sms) == (True, False)


def test_first_row_wins_across_batches() -> None:
    checker = RowChecker(spec(), Protector(SECRET))
    sorter = DuplicateSorter(tenant_id="acme", key=MatchKey.ACCOUNT_NUMBER)
    first = sorter.sort(checker.check(BATCH[:2]))
    second = sorter.sort(checker.check(BATCH[2:]))
    assert [r.row_number for r in first.rows] == [1]
    assert second.rows == []
    duplicate = next(o for o in second.outcomes if o["status"] == "duplicate")
    assert duplicate["row_number"] == 5
    assert (sorter.invalid, sorter.duplicates) == (3, 1)


def test_last_row_wins_when_the_last_rows_are_known() -> None:
    checker = RowChecker(
        spec(match=MatchPolicy(in_file_duplicates=InFileDuplicates.LAST_WINS)), Protector(SECRET)
    )
    last = {value: row for row, value in checker.keys(BATCH)}
    sorter = DuplicateSorter(tenant_id="acme", key=MatchKey.ACCOUNT_NUMBER, last_rows=last)
    result = sorter.sort(checker.check(BATCH))
    assert [r.row_number for r in result.rows] == [5]
    assert sorter.duplicates == 1


@pytest.mark.parametrize("workers", [0, 1])
def test_the_pool_checks_batches_in_worker_processes_like_in_process(workers: int) -> None:
    async def run() -> list[tuple[int, str]]:
        pool = CheckerPool(workers, SECRET)
        try:
            checked = await asyncio.gather(*(pool.check(spec(), BATCH) for _ in range(3)))
        finally:
            pool.close()
        return [(r.row_number, r.match_value) for batch in checked for r in batch.rows]

    assert asyncio.run(run()) == [(1, "A-1"), (5, "A-1")] * 3


def test_the_pool_starts_every_worker_before_the_first_batch() -> None:
    before = {child.pid for child in multiprocessing.active_children()}
    pool = CheckerPool(2, SECRET)
    try:
        started = pool.start()
        workers = {child.pid for child in multiprocessing.active_children()} - before
        assert len(workers) == 2
        assert {future.result(timeout=60) for future in started} <= workers
        checked = asyncio.run(pool.check(spec(), BATCH))
        assert [r.row_number for r in checked.rows] == [1, 5]
        # No worker was added for the batch: the started ones checked it.
        assert {child.pid for child in multiprocessing.active_children()} - before == workers
    finally:
        pool.close()


def test_a_pool_without_workers_has_nothing_to_start() -> None:
    assert CheckerPool(0, SECRET).start() == []


def test_rows_of_one_customer_with_other_accounts_are_not_duplicates() -> None:
    headers = ("Customer id", "First name", "Account number")
    checker = RowChecker(
        spec(
            headers=headers,
            mapping=resolve_mapping(headers, None),
            key=MatchKey.CUSTOMER_ID,
            match=MatchPolicy(key=MatchKey.CUSTOMER_ID),
        ),
        Protector(SECRET),
    )
    rows: list[Row | BrokenRow] = [
        (1, ["C-1", "Ann", "ACC-1"]),
        (2, ["C-1", "Ann", "ACC-2"]),
        (3, ["C-1", "Ann", "acc-1"]),
        (4, ["C-2", "Bob", None]),
        (5, ["C-2", "Bob", None]),
    ]
    sorter = DuplicateSorter(tenant_id="acme", key=MatchKey.CUSTOMER_ID)
    result = sorter.sort(checker.check(rows))
    assert [r.row_number for r in result.rows] == [1, 2, 4]
    assert {r.match_value for r in result.rows} == {"C-1", "C-2"}
    assert sorted(o["row_number"] for o in result.outcomes) == [3, 5]


def lead_list_spec(*, churn: bool, events: bool = True) -> CheckSpec:
    """Rows into the lead list Spring, matched by phone, whose custom field Ref is unique."""
    headers = ("Name", "Phone1", "Ref")
    info = LeadListInfo(
        id="L1", name="Spring", fields=(CustomFieldDefinition(name="Ref", unique=True),)
    )
    lead = LeadSpec(converter=LeadConverter(info, {}), duplicates=DuplicatePolicy(), churn=churn)
    return spec(
        headers=headers,
        mapping=narrow_mapping(resolve_mapping(headers, {"Ref": "extra"})),
        key=MatchKey.PHONE,
        match=MatchPolicy(key=MatchKey.PHONE),
        target=TargetRef(kind=TargetKind.LEAD_LIST, id="L1", name="Spring"),
        lead=lead,
        events=events,
    )


def test_rows_into_a_lead_list_become_lead_events_with_unique_fields_checked_in_order() -> None:
    checker = RowChecker(lead_list_spec(churn=True), Protector(SECRET))
    sorter = DuplicateSorter(tenant_id="acme", key=MatchKey.PHONE)
    first = sorter.sort(checker.check([(1, ["Ann", "212 555 0101", "R1"])]))
    second = sorter.sort(
        checker.check([(2, ["Bob", "212 555 0102", "R1"]), (3, ["Cy", "212 555 0103", "R2"])])
    )
    event = LeadRowParsed.model_validate(orjson.loads(first.rows[0].body))
    assert event.lead.phones[0].e164 == "+12125550101" and event.churn is True
    assert [r.row_number for r in second.rows] == [3]
    [outcome] = second.outcomes
    assert (outcome["row_number"], outcome["column"]) == (2, "Ref")
    assert "must be unique" in outcome["reason"]


def test_a_preview_keys_the_same_rows_as_an_import_without_encoding_events() -> None:
    batch: list[Row | BrokenRow] = [*BATCH, (6, ["Dee", "212 555 0106", None, "a-6"])]
    imported = RowChecker(spec(tags=("march",)), Protector(SECRET)).check(batch)
    previewed = RowChecker(
        spec(run_id="run-2", tags=("march",), events=False), Protector(SECRET)
    ).check(batch)

    def keyed(checked: CheckedBatch) -> list[tuple[int, str, str, tuple[tuple[str, str], ...]]]:
        return [(r.row_number, r.match_value, r.dedupe_key, r.unique) for r in checked.rows]

    assert (
        keyed(previewed)
        == keyed(imported)
        == [
            (1, "A-1", "A-1", ()),
            (5, "A-1", "A-1", ()),
            (6, "A-6", "A-6", ()),
        ]
    )
    assert previewed.invalid == imported.invalid and previewed.size == imported.size
    assert all(r.body == b"" for r in previewed.rows)
    assert all(r.body for r in imported.rows)


def test_a_checked_row_comes_back_from_a_worker_unchanged() -> None:
    row = CheckedRow(7, "A-7", b"{}", "A-7\x1fACC-1", (("Ref", "R1"),))
    assert pickle.loads(pickle.dumps(row)) == row


def test_a_lead_list_preview_refuses_the_same_repeated_unique_values() -> None:
    rows: list[Row | BrokenRow] = [
        (1, ["Ann", "212 555 0101", "R1"]),
        (2, ["Bob", "212 555 0102", "R1"]),
        (3, ["Cy", "not a phone", "R2"]),
        (4, ["Ann", "212 555 0101", "R3"]),
    ]
    results = []
    for events in (True, False):
        checker = RowChecker(lead_list_spec(churn=False, events=events), Protector(SECRET))
        sorter = DuplicateSorter(tenant_id="acme", key=MatchKey.PHONE)
        sorted_batch = sorter.sort(checker.check(rows))
        results.append(
            (
                [(r.row_number, r.match_value, r.unique) for r in sorted_batch.rows],
                sorted_batch.outcomes,
                sorter.invalid,
                sorter.duplicates,
            )
        )
    assert results[0] == results[1]
    assert results[1][0] == [(1, "+12125550101", (("Ref", "R1"),))]
    assert (results[1][2], results[1][3]) == (2, 1)
