"""Issue 16's pure rules: date orders per column, template row rules, a hopeless start."""

from listflow.ingest.domain.batches import CheckedBatch, CheckedRow, HopelessStart
from listflow.ingest.domain.date_orders import DateEvidence, DateScan, choose
from listflow.ingest.domain.fields import resolve_mapping
from listflow.ingest.domain.rows import RowError, RowOptions, RowValidator
from listflow.ingest.domain.templates import TEMPLATES
from listflow.kit.pii import Protector
from listflow.schemas.normalize import region_date_order

PROTECTOR = Protector("unit-test-secret")


def scan(*values: str) -> DateEvidence:
    found = DateScan({0})
    for value in values:
        found.add([value])
    return found.evidence[0]


def test_a_column_is_settled_by_its_values_else_by_its_region() -> None:
    assert choose("d", scan("14/01/1960", "02/03/1970"), "US", None).order == "DMY"
    assert choose("d", scan("01/14/1960", "02/03/1970"), "GB", None).order == "MDY"
    region = choose("d", scan("01/02/1960"), "GB", None)
    assert (region.order, region.source, region.ambiguous) == ("DMY", "region", True)
    assert choose("d", scan("01/02/1960"), "US", None).order == "MDY"
    assert choose("d", scan("1960-01-14"), "US", None).order == "YMD"
    given = choose("d", scan("14/01/1960"), "GB", "MDY")
    assert (given.order, given.source) == ("MDY", "option")


def test_regions_order_from_cldr() -> None:
    for region in ("GB", "IE", "CZ", "ES", "CO", "FR", "DE", "MX"):
        assert region_date_order(region) == "DMY", region
    for region in ("US", "PH"):
        assert region_date_order(region) == "MDY", region


ACCOUNTS = TEMPLATES["accounts"]


def accounts_validator() -> RowValidator:
    headers = ACCOUNTS.headers
    return RowValidator(
        headers,
        resolve_mapping(headers, ACCOUNTS.mapping),
        RowOptions(
            default_region="CO",
            required_fields=ACCOUNTS.required_fields,
            template=ACCOUNTS.name,
            rules=ACCOUNTS.rules,
        ),
        PROTECTOR,
    )


def cells(**given: str) -> list[str | None]:
    by_header = {c.header: i for i, c in enumerate(ACCOUNTS.columns)}
    row: list[str | None] = [None] * len(by_header)
    for header, value in given.items():
        row[by_header[header.replace("_", " ")]] = value
    return row


def test_accounts_rules_each_named_in_words() -> None:
    check = accounts_validator()
    base = {"Customer_type": "person", "Document_type": "CC", "Document_number": "1"}
    assert check.validate(1, cells(**base, First_surname="Ruiz", First_name="Juan")) == [
        RowError(1, "", "", "at least one contact channel: phone, email or social media")
    ]
    social = check.validate(
        2, cells(**base, First_surname="Ruiz", First_name="J", Social_media="@j")
    )
    assert not isinstance(social, list)
    company = check.validate(3, cells(**{**base, "Customer_type": "company"}, Email="a@b.co"))
    assert company == [
        RowError(3, "", "", "a company needs a company name (instead of a person's names)")
    ]
    missing = check.validate(4, cells(Customer_type="person", First_surname="R", First_name="J"))
    assert isinstance(missing, list)
    assert {(e.column, e.reason) for e in missing} >= {
        ("Document number", "required by the accounts template"),
        ("Document type", "required by the accounts template"),
    }


def _invalid(row: int, reason: str) -> dict[str, object]:
    return {"row_number": row, "reason": reason}


def test_a_hopeless_start_is_found_once_the_first_rows_fail_alike() -> None:
    hopeless = HopelessStart(rows=4)
    assert hopeless.verdict(CheckedBatch([], [_invalid(1, "x"), _invalid(2, "x")], 2)) is None
    assert hopeless.verdict(CheckedBatch([], [_invalid(3, "x"), _invalid(4, "x")], 2)) == "x"
    mixed = HopelessStart(rows=4)
    assert mixed.verdict(CheckedBatch([], [_invalid(1, "x"), _invalid(2, "y")], 2)) is None
    assert mixed.verdict(CheckedBatch([], [_invalid(3, "x"), _invalid(4, "x")], 2)) is None
    valid = HopelessStart(rows=2)
    row = CheckedRow(2, "v", b"{}", "v")
    assert valid.verdict(CheckedBatch([row], [_invalid(1, "x")], 2)) is None
