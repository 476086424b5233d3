from datetime import date
from decimal import Decimal

import email_validator
import pytest
from listflow.schemas.normalize import (
    PhoneNormalizer,
    mask_ssn,
    normalize_currency,
    normalize_email,
    normalize_postcode,
    normalize_ssn,
    normalize_time_zone,
    parse_bool,
    parse_date,
    parse_decimal,
)
from listflow.schemas.values import PhoneType


@pytest.mark.parametrize(
    ("region", "raw", "e164"),
    [
        ("US", "(415) 555-2671", "+14155552671"),
        ("US", "415.555.2671", "+14155552671"),
        ("US", "+1 415 555 2671", "+14155552671"),
        ("US", "420601123456", "+420601123456"),
        ("US", "0044 7400 123456", "+447400123456"),
        ("GB", "07400 123456", "+447400123456"),
        ("GB", "44 7400 123456", "+447400123456"),
        ("GB", "+44 20 7946 0958", "+442079460958"),
        ("GB", "020 7946 0958", "+442079460958"),
        ("CO", "300 1234567", "+573001234567"),
        ("CZ", "601 123 456", "+420601123456"),
        ("CZ", "420 601 123 456", "+420601123456"),
        ("CZ", "+420 601 123 456", "+420601123456"),
    ],
)
def test_phone_e164(region: str, raw: str, e164: str) -> None:
    assert PhoneNormalizer(region).normalize(raw).e164 == e164


def test_phone_details() -> None:
    phone = PhoneNormalizer("US").normalize("(415) 555-2671")
    assert phone.region == "US"
    assert phone.time_zone == "America/Los_Angeles"
    assert phone.type is PhoneType.FIXED_OR_MOBILE

    mobile = PhoneNormalizer("CZ").normalize("601 123 456")
    assert (mobile.type, mobile.region, mobile.time_zone) == (
        PhoneType.MOBILE,
        "CZ",
        "Europe/Prague",
    )

    landline = PhoneNormalizer("GB").normalize("+44 20 7946 0958")
    assert (landline.type, landline.time_zone) == (PhoneType.FIXED, "Europe/London")
    assert PhoneNormalizer("GB").normalize("07400 123456").time_zone == "Europe/London"


def test_toll_free_number_spanning_many_zones_has_none() -> None:
    phone = PhoneNormalizer("US").normalize("1-800-555-0199")
    assert phone.type is PhoneType.TOLL_FREE
    assert phone.time_zone is None


@pytest.mark.parametrize(
    ("region", "raw"),
    [
        ("US", "555-1234"),
        ("US", "not a number"),
        ("US", ""),
        # Ofcom keeps 07700 900xxx for drama; the library treats it as unallocated.
        ("GB", "07700 900123"),
        ("CZ", "123"),
    ],
)
def test_invalid_phone(region: str, raw: str) -> None:
    with pytest.raises(ValueError, match=f"not a valid phone number for region {region}|empty"):
        PhoneNormalizer(region).normalize(raw)


def test_phone_errors_are_cached_too() -> None:
    phones = PhoneNormalizer("US", cache_size=2)
    for _ in range(2):
        with pytest.raises(ValueError, match="region US"):
            phones.normalize("12")
    assert phones.normalize("(415) 555-2671") is phones.normalize("(415) 555-2671")
    phones.normalize("(415) 555-2672")
    phones.normalize("(415) 555-2673")
    assert len(phones._cache) == 2


def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="not a known phone region"):
        PhoneNormalizer("XX")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("John.Smith@Example.COM", "John.Smith@example.com"),
        ("  a+b@sub.example.co.uk ", "a+b@sub.example.co.uk"),
        ("José@Example.com", "José@example.com"),
    ],
)
def test_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("john.example.com", "email has no @"),
        ("a..b@example.com", "two periods"),
        ("a@localhost", "period"),
        ("a@b@example.com", "@"),
        ("a@example.test", "special-use"),
        ("a b@example.com", "invalid characters"),
        ("a@ab--cd.com", "dashes"),
    ],
)
def test_invalid_email(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_email(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "plain@example.com",
        "UPPER@EXAMPLE.COM",
        "o'brien@example.ie",
        "x_y-z.w@mail-server.example.org",
        "a@1example.com",
        "a@example.c0m",
        "a@-example.com",
        "a@example.com.",
        "a.@example.com",
        "a@example..com",
        "a@example.123",
    ],
)
def test_email_fast_path_agrees_with_the_library(raw: str) -> None:
    try:
        expected: str | None = email_validator.validate_email(
            raw, check_deliverability=False
        ).normalized
    except email_validator.EmailNotValidError:
        expected = None
    try:
        actual: str | None = normalize_email(raw)
    except ValueError:
        actual = None
    assert actual == expected


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("1990-05-17", "DMY", date(1990, 5, 17)),
        ("1990-05-17", "MDY", date(1990, 5, 17)),
        ("1990-05-17T00:00:00", "MDY", date(1990, 5, 17)),
        ("19900517", "DMY", date(1990, 5, 17)),
        ("17/05/1990", "DMY", date(1990, 5, 17)),
        ("17.5.1990", "DMY", date(1990, 5, 17)),
        ("17. 5. 1990", "DMY", date(1990, 5, 17)),
        ("17-05-90", "DMY", date(1990, 5, 17)),
        ("05/17/1990", "MDY", date(1990, 5, 17)),
        ("5/17/90", "MDY", date(1990, 5, 17)),
        ("1990/05/17", "YMD", date(1990, 5, 17)),
        ("90.05.17", "YMD", date(1990, 5, 17)),
        ("1990/05/17", "DMY", date(1990, 5, 17)),
        ("01/02/2003", "DMY", date(2003, 2, 1)),
        ("01/02/2003", "MDY", date(2003, 1, 2)),
    ],
)
def test_parse_date(raw: str, order: str, expected: date) -> None:
    assert parse_date(raw, order) == expected  # type: ignore[arg-type]


def test_two_digit_years_are_never_in_the_future() -> None:
    next_year = (date.today().year + 1) % 100
    assert parse_date(f"01/01/{next_year:02d}", "DMY").year == 1900 + next_year
    assert parse_date("01/01/00", "DMY").year == 2000


@pytest.mark.parametrize(
    ("raw", "order", "reason"),
    [
        ("17/05/1990", "MDY", "month 17 does not exist"),
        ("13/13/1990", "DMY", "month 13"),
        ("31/02/1990", "DMY", "day 31 does not exist in month 2"),
        ("yesterday", "DMY", "not a date"),
        ("1990", "DMY", "not a date"),
        ("1/2/345", "DMY", "not a date"),
    ],
)
def test_invalid_date(raw: str, order: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date(raw, order)  # type: ignore[arg-type]


def test_swapped_day_and_month_get_a_hint() -> None:
    with pytest.raises(ValueError, match="swapped"):
        parse_date("05/17/1990", "DMY")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("123-45-6789", "123456789"), ("123 45 6789", "123456789"), (" 123456789 ", "123456789")],
)
def test_ssn(raw: str, expected: str) -> None:
    assert normalize_ssn(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345678", "9 digits"),
        ("1234567890", "9 digits"),
        ("12a-45-6789", "9 digits"),
        ("000-12-3456", "area"),
        ("666-12-3456", "area"),
        ("900-12-3456", "area"),
        ("999-12-3456", "area"),
        ("123-00-4567", "group"),
        ("123-45-0000", "serial"),
    ],
)
def test_invalid_ssn(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as error:
        normalize_ssn(raw)
    assert raw.replace("-", "") not in str(error.value)


def test_mask_ssn() -> None:
    assert mask_ssn("666-12-3456") == "***-**-3456"
    assert mask_ssn("12") == "***-**-****"


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("sw1a1aa", "GB", "SW1A 1AA"),
        ("SW1A 1AA", "UK", "SW1A 1AA"),
        ("ec1a 1bb", "United Kingdom", "EC1A 1BB"),
        ("M1 1AE", "GB", "M1 1AE"),
        ("B33 8TH", "GB", "B33 8TH"),
        ("CR2 6XH", "GB", "CR2 6XH"),
        ("DN55 1PT", "GB", "DN55 1PT"),
        ("W1A 0AX", "GB", "W1A 0AX"),
        ("12345", "US", "12345"),
        ("12345-6789", "USA", "12345-6789"),
        ("123456789", "US", "12345-6789"),
        ("2134", "US", "02134"),
        (" 110 00 ", "CZ", "110 00"),
        ("any thing", None, "any thing"),
    ],
)
def test_postcode(raw: str, country: str | None, expected: str) -> None:
    assert normalize_postcode(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "reason"),
    [
        ("QX1 1AA", "GB", "not a valid UK postcode"),
        ("SW1A", "GB", "not a valid UK postcode"),
        ("12345", "GB", "not a valid UK postcode"),
        ("1234X", "US", "not a valid US ZIP"),
        ("123456", "US", "not a valid US ZIP"),
    ],
)
def test_invalid_postcode(raw: str, country: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_postcode(raw, country)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("-12.5", "-12.5"),
        ("12,5", "12.5"),
        ("0,125", "0.125"),
        ("1,234", "1234"),
        ("1.234.567,89", "1234567.89"),
        ("$1,234.56", "1234.56"),
        ("-$5", "-5"),
        ("(12.50)", "-12.50"),
        ("12,50 €", "12.50"),
        ("1 500 Kč", "1500"),
        ("USD 99", "99"),
        ("£3", "3"),
        (".5", "0.5"),
    ],
)
def test_parse_decimal(raw: str, expected: str) -> None:
    assert parse_decimal(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["", "abc", "12abc", "1,23.45", "1.2.3,4.5", "NaN", "1e5", "--1"])
def test_invalid_decimal(raw: str) -> None:
    with pytest.raises(ValueError, match="not a valid number"):
        parse_decimal(raw)


@pytest.mark.parametrize("raw", ["yes", "Y", "TRUE", "1", "sí", "Si", "ano", "Ano", "x", "opt-in"])
def test_parse_bool_true(raw: str) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["no", "N", "false", "0", "ne", "NE", "opt out"])
def test_parse_bool_false(raw: str) -> None:
    assert parse_bool(raw) is False


def test_parse_bool_refuses_anything_else() -> None:
    with pytest.raises(ValueError, match="yes/no"):
        parse_bool("maybe")


def test_time_zone_and_currency() -> None:
    assert normalize_time_zone("america/new_york") == "America/New_York"
    with pytest.raises(ValueError, match="time zone"):
        normalize_time_zone("Mars/Olympus")
    assert normalize_currency("usd") == "USD"
    assert normalize_currency("€") == "EUR"
    with pytest.raises(ValueError, match="currency"):
        normalize_currency("dollars")
