from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from listflow.ingest.domain.fields import resolve_mapping
from listflow.ingest.domain.rows import RowError, RowOptions, RowValidator
from listflow.kit.pii import Protector
from listflow.schemas.matching import default_match_key, match_value
from listflow.schemas.values import Account, ContactData, ExtraField, MatchKey

PROTECTOR = Protector("test-secret-0123456789")
HEADERS = [
    "First name",
    "Last name",
    "Company",
    "Phone",
    "Mobile",
    "Email",
    "SSN",
    "DOB",
    "Account number",
    "Balance",
    "Currency",
    "Tags",
    "SMS consent",
    "Zip",
    "Notes",
]


def validator(headers: list[str] = HEADERS, **options: Any) -> RowValidator:
    return RowValidator(
        headers,
        resolve_mapping(headers, None),
        RowOptions(**options),
        PROTECTOR,
    )


def row(**cells: str) -> list[str | None]:
    by_header = {h.lower().replace(" ", "_"): i for i, h in enumerate(HEADERS)}
    values: list[str | None] = [None] * len(HEADERS)
    for name, value in cells.items():
        values[by_header[name]] = value
    return values


def valid(result: ContactData | list[RowError]) -> ContactData:
    assert isinstance(result, ContactData), result
    return result


def errors(result: ContactData | list[RowError]) -> list[RowError]:
    assert isinstance(result, list), result
    return result


def test_full_row() -> None:
    contact = valid(
        validator().validate(
            7,
            row(
                first_name=" Ann ",
                last_name="Lee",
                phone="(415) 555-2671",
                mobile="415.555.2671",
                email="Ann.Lee@Example.com",
                ssn="123-45-6789",
                dob="05/17/1990",
                account_number=" ab 123 ",
                balance="$1,234.50",
                currency="usd",
                tags="vip; west |vip, new",
                sms_consent="yes",
                zip="94105",
                notes="  call after 5pm ",
            ),
        )
    )
    assert contact.first_name == "Ann"
    assert contact.customer_type == "person"
    assert [p.e164 for p in contact.phones] == ["+14155552671"]
    assert contact.emails == ("Ann.Lee@example.com",)
    assert contact.ssn is not None
    assert contact.ssn.last4 == "6789"
    assert PROTECTOR.reveal(contact.ssn) == "123456789"
    assert contact.date_of_birth == date(1990, 5, 17)
    assert contact.accounts == (
        Account(number="ab 123", balance=Decimal("1234.50"), currency="USD"),
    )
    assert contact.tags == ("vip", "west", "new")
    assert contact.consents.sms is True
    assert contact.consents.email is None
    assert contact.postcode == "94105"
    assert contact.time_zone == "America/Los_Angeles"
    assert contact.extra == (ExtraField(name="Notes", value="call after 5pm"),)


def test_all_errors_of_a_row_are_returned() -> None:
    tomorrow = (date.today() + timedelta(days=1)).strftime("%m/%d/%Y")
    result = errors(
        validator().validate(
            3,
            row(
                phone="12",
                email="nobody",
                dob=tomorrow,
                balance="lots",
                account_number="A1",
                sms_consent="perhaps",
                zip="ABCDE",
            ),
        )
    )
    assert {(e.column, e.reason) for e in result} == {
        ("Phone", "not a valid phone number for region US"),
        ("Email", "email has no @"),
        ("DOB", "date of birth is in the future"),
        ("Balance", "not a valid number"),
        ("SMS consent", "not a yes/no value (use yes or no)"),
        ("Zip", "not a valid US ZIP code (12345 or 12345-6789)"),
    }
    assert all(e.row_number == 3 for e in result)
    assert next(e for e in result if e.column == "Email").value == "nobody"


def test_invalid_ssn_error_shows_only_a_masked_value() -> None:
    result = errors(validator().validate(1, row(email="a@example.com", ssn="666-12-3456")))
    assert result == [
        RowError(
            1,
            "SSN",
            "***-**-3456",
            "not a valid SSN: area number cannot be 000, 666 or 900-999",
        )
    ]
    assert "666-12" not in repr(result)
    assert "66612" not in repr(result)


def test_ssn_with_wrong_length_is_masked_too() -> None:
    (error,) = errors(validator().validate(1, row(email="a@example.com", ssn="12345678")))
    assert error.value == "***-**-5678"
    assert "12345678" not in repr(error)


def test_row_without_contact_channel_or_identifier() -> None:
    result = errors(validator().validate(9, row(first_name="Ann", last_name="Lee")))
    assert result == [RowError(9, "", "", "row has no phone, email or identifier")]


def test_identifier_alone_is_enough() -> None:
    contact = valid(validator().validate(1, row(account_number="A-1")))
    assert contact.accounts[0].number == "A-1"


def test_blank_and_whitespace_cells_count_as_missing() -> None:
    result = errors(validator().validate(1, row(phone="   ", email="")))
    assert result == [RowError(1, "", "", "row has no phone, email or identifier")]


def test_required_fields() -> None:
    check = validator(required_fields=("last_name", "email", "country"))
    result = errors(check.validate(2, row(phone="4155552671")))
    assert [(e.column, e.reason) for e in result] == [
        ("Last name", "required value is missing"),
        ("Email", "required value is missing"),
        ("country", "required value is missing"),
    ]


def test_unknown_required_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown required fields: nickname"):
        validator(required_fields=("nickname",))


def test_company_type_is_inferred_unless_given() -> None:
    assert valid(
        validator().validate(1, row(company="ACME", email="a@acme.com"))
    ).customer_type == ("company")
    person = valid(
        validator().validate(1, row(company="ACME", last_name="Lee", email="a@acme.com"))
    )
    assert person.customer_type == "person"
    headers = ["Company", "Customer type", "Email"]
    given = validator(headers).validate(1, ["ACME", "persona", "a@acme.com"])
    assert valid(given).customer_type == "person"
    wrong = validator(headers).validate(1, ["ACME", "alien", "a@acme.com"])
    assert errors(wrong)[0].reason == "customer type must be person or company"


def test_allowed_tags() -> None:
    check = validator(allowed_tags=frozenset({"VIP", "new"}))
    assert valid(check.validate(1, row(email="a@example.com", tags="vip,NEW"))).tags == (
        "VIP",
        "new",
    )
    (error,) = errors(check.validate(1, row(email="a@example.com", tags="vip, gold")))
    assert (error.column, error.reason) == ("Tags", "tag 'gold' is not allowed")


def test_balance_without_account_number() -> None:
    (error,) = errors(validator().validate(1, row(email="a@example.com", balance="10")))
    assert (error.column, error.reason) == ("Balance", "balance is given without an account number")


def test_phones_are_deduplicated_in_order_and_zone_comes_from_the_first() -> None:
    headers = ["phone", "phone2", "phone3", "Time zone"]
    check = validator(headers)
    contact = valid(check.validate(1, ["+420 601 123 456", "(212) 555-0100", "420601123456", None]))
    assert [p.e164 for p in contact.phones] == ["+420601123456", "+12125550100"]
    assert contact.time_zone == "Europe/Prague"
    given = valid(check.validate(1, ["(212) 555-0100", None, None, "europe/prague"]))
    assert given.time_zone == "Europe/Prague"


def test_document_number_is_protected() -> None:
    headers = ["Document type", "Document number", "Email"]
    contact = valid(validator(headers).validate(1, ["passport", " ab123456 ", "a@example.com"]))
    assert contact.document_type == "passport"
    assert contact.document is not None
    assert contact.document == contact.document.model_copy(
        update={"hash": PROTECTOR.match_hash("document", "AB123456")}
    )
    assert PROTECTOR.reveal(contact.document) == "AB123456"


def test_dmy_order_and_uk_postcode_from_region() -> None:
    headers = ["Phone", "DOB", "Postcode"]
    check = validator(headers, default_region="GB", date_order="DMY")
    contact = valid(check.validate(1, ["020 7946 0958", "17/05/1990", "sw1a1aa"]))
    assert contact.date_of_birth == date(1990, 5, 17)
    assert contact.postcode == "SW1A 1AA"
    (error,) = errors(check.validate(2, ["020 7946 0958", "17/05/1990", "90210"]))
    assert error.reason == "not a valid UK postcode"


def test_short_rows_are_fine() -> None:
    contact = valid(validator().validate(1, [None, None, None, "4155552671"]))
    assert contact.phones[0].e164 == "+14155552671"


def test_match_value_of_a_validated_row() -> None:
    """Ingest keys rows with the shared listflow.schemas.matching rules."""
    contact = valid(
        validator().validate(
            1,
            row(
                phone="(415) 555-2671",
                email="Ann@Example.com",
                ssn="123456789",
                account_number=" ab 12 3 ",
            ),
        )
    )
    assert match_value(contact, MatchKey.ACCOUNT_NUMBER) == "AB123"
    assert match_value(contact, MatchKey.PHONE) == "+14155552671"
    assert match_value(contact, MatchKey.EMAIL) == "ann@example.com"
    assert match_value(contact, MatchKey.SSN) == PROTECTOR.match_hash("ssn", "123456789")
    assert match_value(contact, MatchKey.DOCUMENT_NUMBER) is None
    assert match_value(contact, MatchKey.CUSTOMER_ID) is None
    ids = ContactData(customer_id=" Cust-01 ", external_id="X")
    assert match_value(ids, MatchKey.CUSTOMER_ID) == "CUST-01"
    assert match_value(ids, MatchKey.EXTERNAL_ID) == "X"


def test_default_match_key() -> None:
    assert default_match_key({"phone", "email", "account_number"}) is MatchKey.ACCOUNT_NUMBER
    assert default_match_key({"phone2", "email"}) is MatchKey.PHONE
    assert default_match_key({"email", "customer_id"}) is MatchKey.EMAIL
    assert default_match_key({"customer_id", "external_id"}) is MatchKey.CUSTOMER_ID
    assert default_match_key({"external_id"}) is MatchKey.EXTERNAL_ID
