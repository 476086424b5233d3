"""Normalization of single cell values; each function returns the canonical form or raises
ValueError with a message an operator can act on."""

import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import email_validator
import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import get_date_format
from listflow.schemas.values import Phone, PhoneType
from phonenumbers import phonenumberutil
from phonenumbers import timezone as phone_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

# Keep phonenumbers' compiled metadata patterns (a bounded set) instead of looking each one up
# in the re module's shared 512-entry cache on every match: ~7% of a number's parse time here
# (the lookup hashes a (type, pattern, flags) key each time), and a row checker's other
# patterns can evict them from that cache.
phonenumbers.enable_pattern_cache()

DateOrder = Literal["DMY", "MDY", "YMD"]

_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: PhoneType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE: PhoneType.FIXED,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneType.FIXED_OR_MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE: PhoneType.TOLL_FREE,
    phonenumbers.PhoneNumberType.VOIP: PhoneType.VOIP,
}
_UNKNOWN_ZONE = "Etc/Unknown"
_type_for_metadata: Callable[[str, Any], int] | None = getattr(
    phonenumberutil, "_number_type_helper", None
)
# A mobile number says nothing about where in a country it is; for these countries one zone
# covers nearly everyone, so it beats no zone at all. Countries spanning real zones
# (US, MX, BR, RU, AU...) stay unknown rather than get a wrong guess.
_PRINCIPAL_ZONE = {
    "GB": "Europe/London",
    "GG": "Europe/Guernsey",
    "JE": "Europe/Jersey",
    "IM": "Europe/Isle_of_Man",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "EC": "America/Guayaquil",
    "CL": "America/Santiago",
}
_NOT_DIGIT = re.compile(r"[^0-9]")


class PhoneNormalizer:
    """Parses phone numbers written in the conventions of one default region into `Phone`."""

    # 20,000 recent numbers: list files repeat a number close to where it first appeared; a
    # cache of 100,000 held ~50 MB more per row checker on a million-row file (make bench).
    def __init__(self, default_region: str, cache_size: int = 20_000) -> None:
        region = default_region.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{default_region!r} is not a known phone region (e.g. US, GB, CZ)")
        self.default_region = region
        self._invalid = f"not a valid phone number for region {region}"
        self._cache: dict[str, Phone | str] = {}
        self._cache_size = cache_size

    def normalize(self, raw: str) -> Phone:
        """The E.164 number, type, region and time zone of `raw`."""
        hit = self._cache.get(raw)
        if hit is None:
            hit = self._normalize(raw)
            if len(self._cache) >= self._cache_size:
                # Oldest first: list files repeat a value close to where it first appeared.
                del self._cache[next(iter(self._cache))]
            self._cache[raw] = hit
        if isinstance(hit, str):
            raise ValueError(hit)
        return hit

    def _normalize(self, raw: str) -> Phone | str:
        text = raw.strip()
        if not text:
            return "phone number is empty"
        parsed = _parse_valid(text, self.default_region)
        if parsed is None and not text.startswith("+"):
            # "420 601 123 456" or "0044 7700 900123": a country code written without the plus
            # (or after the European 00 prefix) that the default region's rules misread.
            digits = _NOT_DIGIT.sub("", text)
            if digits.startswith("00"):
                digits = digits[2:]
            if len(digits) >= 8:
                parsed = _parse_valid("+" + digits, None)
        if parsed is None:
            return self._invalid
        number, number_type, region = parsed
        if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
            region = None
        return Phone(
            e164=f"+{number.country_code}{phonenumbers.national_significant_number(number)}",
            type=_PHONE_TYPES.get(number_type, PhoneType.OTHER),
            region=region,
            time_zone=_time_zone(number, number_type, region),
        )


_Parsed = tuple[phonenumbers.PhoneNumber, int, str | None]


def _parse_valid(text: str, region: str | None) -> _Parsed | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # The type is UNKNOWN exactly when is_valid_number is false, so one lookup validates too.
    number_region = phonenumbers.region_code_for_number(number)
    if number_region is None:
        # No region's patterns accept the number: is_valid_number would say no as well.
        return None
    if _type_for_metadata is None:
        number_type = int(phonenumbers.number_type(number))
    else:
        # number_type would resolve the region again (a pattern match per region sharing the
        # code, as +1 does); reusing it saves a third of the cost of a phone, the dearest cell.
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
            number.country_code or 0, number_region
        )
        number_type = (
            _type_for_metadata(phonenumbers.national_significant_number(number), metadata)
            if metadata is not None
            else phonenumbers.PhoneNumberType.UNKNOWN
        )
    if number_type == phonenumbers.PhoneNumberType.UNKNOWN:
        return None
    return number, number_type, number_region


def _time_zone(
    number: phonenumbers.PhoneNumber, number_type: int, region: str | None
) -> str | None:
    if phonenumbers.is_number_type_geographical(number_type, number.country_code or 0):
        zones = phone_timezone.time_zones_for_geographical_number(number)
    else:
        zones = _country_zones(number.country_code)
        if len(zones) > 1:
            # The first of a country's zones is alphabetical, not likely (America/Adak for +1).
            return _PRINCIPAL_ZONE.get(region or "")
    if not zones or zones[0] == _UNKNOWN_ZONE:
        return _PRINCIPAL_ZONE.get(region or "")
    return zones[0]


@functools.cache
def _country_zones(country_code: int) -> tuple[str, ...]:
    return tuple(TIMEZONE_DATA.get(str(country_code), (_UNKNOWN_ZONE,)))


_EMAIL_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_EMAIL_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# Common ASCII addresses that email_validator accepts unchanged; anything else goes to the
# library, which costs ~40 µs an address and would dominate a row.
_SIMPLE_EMAIL = re.compile(rf"({_EMAIL_LOCAL})@((?:{_EMAIL_LABEL}\.)+[A-Za-z]{{2,63}})", re.ASCII)
_SPECIAL_DOMAINS = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)


def normalize_email(raw: str) -> str:
    """A syntactically valid address with its domain lower-cased."""
    text = raw.strip()
    if "@" not in text:
        raise ValueError("email has no @")
    simple = _SIMPLE_EMAIL.fullmatch(text)
    if (
        simple is not None
        and len(text) <= 254
        and len(simple.group(1)) <= 64
        and "--" not in simple.group(2)
        and simple.group(2).rsplit(".", 1)[1].lower() not in _SPECIAL_DOMAINS
    ):
        return f"{simple.group(1)}@{simple.group(2).lower()}"
    try:
        result = email_validator.validate_email(
            text, check_deliverability=False, allow_smtputf8=True
        )
    except email_validator.EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return str(result.normalized)


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.+\-Z ]*)?", re.ASCII)
# Only 19xx/20xx, so that an 8-digit day-first date is not misread as a basic ISO date.
_ISO_BASIC = re.compile(r"((?:19|20)\d{2})(\d{2})(\d{2})", re.ASCII)
_DATE = re.compile(
    r"(\d{1,4})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{1,4})\.?(?:[T ]+\d{1,2}:\d{2}[\d:.]*)?",
    re.ASCII,
)


def parse_date(raw: str, order: DateOrder) -> date:
    """A calendar date in the given field order; ISO 8601 is always understood."""
    text = raw.strip()
    iso = _ISO_DATE.fullmatch(text) or _ISO_BASIC.fullmatch(text)
    if iso is not None:
        return _make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), "YMD")
    parts = _DATE.fullmatch(text)
    if parts is None:
        raise ValueError(f"not a date; expected {_example(order)}")
    first, second, third = parts.groups()
    if len(first) == 4:
        year, month, day = first, second, third
        order = "YMD"
    elif order == "YMD":
        year, month, day = first, second, third
    elif order == "DMY":
        day, month, year = first, second, third
    else:
        month, day, year = first, second, third
    if len(year) not in (2, 4) or len(day) > 2:
        raise ValueError(f"not a date; expected {_example(order)}")
    return _make_date(_full_year(year), int(month), int(day), order)


DateShape = Literal["DMY", "MDY", "YMD", "either"]


def date_shape(raw: str) -> DateShape | None:
    """What one written date says of its column's order: year first (ISO and the like), day
    first (its first part is over 12), month first (its second part is), `either` when both
    parts could be the month, None when it is not a date at all."""
    text = raw.strip()
    if _ISO_DATE.fullmatch(text) or _ISO_BASIC.fullmatch(text):
        return "YMD"
    parts = _DATE.fullmatch(text)
    if parts is None:
        return None
    first, second, third = parts.groups()
    if len(first) == 4:
        return "YMD"
    if len(third) not in (2, 4) or len(first) > 2:
        return None
    day_first, month_first = int(first) > 12, int(second) > 12
    if day_first and month_first:
        return None
    if day_first:
        return "DMY"
    if month_first:
        return "MDY"
    return "either"


@functools.cache
def region_date_order(region: str) -> Literal["DMY", "MDY"]:
    """Whether a region writes the day or the month first, from CLDR's short date format for
    the region's most likely locale (Babel): en_GB `dd/MM/y` is day first, en_US `M/d/yy`
    month first. Regions that write the year first (CN `y/M/d`, SE `y-MM-dd`) get the order
    their format puts day and month in; an unknown region is taken as US."""
    try:
        locale = Locale.parse(f"und_{region.strip().upper()}")
    except (ValueError, TypeError, UnknownLocaleError):
        return "MDY"
    pattern = get_date_format("short", locale=locale).pattern
    day, month = pattern.find("d"), pattern.find("M")
    if day < 0 or month < 0:
        return "MDY"
    return "DMY" if day < month else "MDY"


def _example(order: DateOrder) -> str:
    return {"DMY": "31/12/1990", "MDY": "12/31/1990", "YMD": "1990-12-31"}[order]


def _full_year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    # Two-digit years are mostly birth dates: never in the future.
    this_year = date.today().year
    year = 2000 + int(text)
    return year if year <= this_year else year - 100


def _make_date(year: int, month: int, day: int, order: DateOrder) -> date:
    if not 1 <= month <= 12:
        hint = " (are day and month swapped?)" if 1 <= day <= 12 else ""
        raise ValueError(f"not a valid date: month {month} does not exist in {order} order{hint}")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"not a valid date: day {day} does not exist in month {month}") from None


def normalize_ssn(raw: str) -> str:
    """The nine digits of a US social security number that could have been issued."""
    digits = raw.strip().replace("-", "").replace(" ", "")
    if len(digits) != 9 or not (digits.isascii() and digits.isdigit()):
        raise ValueError("an SSN has 9 digits")
    area = digits[:3]
    if area in ("000", "666") or area[0] == "9":
        raise ValueError("not a valid SSN: area number cannot be 000, 666 or 900-999")
    if digits[3:5] == "00":
        raise ValueError("not a valid SSN: group number cannot be 00")
    if digits[5:] == "0000":
        raise ValueError("not a valid SSN: serial number cannot be 0000")
    return digits


def mask_ssn(raw: str) -> str:
    """An SSN as it may appear in an error report: only the last four digits."""
    digits = _NOT_DIGIT.sub("", raw)
    return f"***-**-{digits[-4:]}" if len(digits) >= 4 else "***-**-****"


_COUNTRY_NAMES = {
    "uk": "GB",
    "unitedkingdom": "GB",
    "greatbritain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northernireland": "GB",
    "gbr": "GB",
    "reinounido": "GB",
    "velkabritanie": "GB",
    "usa": "US",
    "unitedstates": "US",
    "unitedstatesofamerica": "US",
    "estadosunidos": "US",
    "spojenestaty": "US",
    "spojenestatyamericke": "US",
    "czechrepublic": "CZ",
    "czechia": "CZ",
    "cze": "CZ",
    "ceskarepublika": "CZ",
    "cesko": "CZ",
    "republicacheca": "CZ",
    "colombia": "CO",
    "col": "CO",
    "kolumbie": "CO",
    "spain": "ES",
    "espana": "ES",
    "esp": "ES",
    "spanelsko": "ES",
    "mexico": "MX",
    "mex": "MX",
    "mexiko": "MX",
    "slovakia": "SK",
    "slovensko": "SK",
    "svk": "SK",
    "germany": "DE",
    "nemecko": "DE",
    "alemania": "DE",
    "deu": "DE",
    "canada": "CA",
    "can": "CA",
}


def country_code(raw: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of a country written as a code or a common name, if known."""
    if not raw:
        return None
    text = raw.strip()
    if len(text) == 2 and text.isascii() and text.isalpha():
        code = text.upper()
        return "GB" if code == "UK" else code
    key = "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if c.isalnum() and c.isascii()
    )
    return _COUNTRY_NAMES.get(key)


# Royal Mail's format: outward code (area, district) then inward code (sector, unit).
_UK_POSTCODE = re.compile(
    r"(GIR0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW]|"
    r"[A-HK-Y][0-9])[0-9][ABD-HJLNP-UW-Z]{2})"
)
_US_ZIP = re.compile(r"(\d{5})(?:[- ]?(\d{4}))?", re.ASCII)


def normalize_postcode(raw: str, country: str | None) -> str:
    """A UK postcode as "SW1A 1AA", a US ZIP as "12345" or "12345-6789", others stripped."""
    text = raw.strip()
    code = country_code(country)
    if code == "GB":
        compact = "".join(text.split()).upper()
        if _UK_POSTCODE.fullmatch(compact) is None:
            raise ValueError("not a valid UK postcode")
        return f"{compact[:-3]} {compact[-3:]}"
    if code == "US":
        if len(text) == 4 and text.isascii() and text.isdigit():
            # A spreadsheet stored the ZIP as a number and dropped the leading zero (New England).
            text = "0" + text
        zip_code = _US_ZIP.fullmatch(text)
        if zip_code is None:
            raise ValueError("not a valid US ZIP code (12345 or 12345-6789)")
        five, four = zip_code.groups()
        return f"{five}-{four}" if four else five
    return text


_CURRENCY_WORDS = frozenset(
    {"usd", "eur", "gbp", "czk", "cop", "mxn", "kc", "us", "r", "kr", "pln", "chf", "cad"}
)
_AMOUNT = re.compile(r"([-+]?)([^\d.,+\-]{0,4})([-+]?)([\d.,]*\d[\d.,]*)([^\d.,]{0,4})")
_THOUSAND_ONLY = re.compile(r"[1-9]\d{0,2},\d{3}", re.ASCII)
_GROUPED_COMMA = re.compile(r"\d{1,3}(?:,\d{3})*", re.ASCII)
_GROUPED_POINT = re.compile(r"\d{1,3}(?:\.\d{3})*", re.ASCII)
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)


def parse_decimal(raw: str) -> Decimal:
    """A number written with either decimal comma or point, thousands separators and currency."""
    text = "".join(raw.split()).replace("'", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    amount = _AMOUNT.fullmatch(text)
    if (
        amount is None
        or (amount.group(1) and amount.group(3))
        or not _is_currency(amount.group(2))
        or not _is_currency(amount.group(5))
    ):
        raise ValueError("not a valid number")
    negative = negative != (amount.group(1) == "-" or amount.group(3) == "-")
    number = _decimal_point(amount.group(4))
    if _PLAIN_NUMBER.fullmatch(number) is None:
        raise ValueError("not a valid number")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError("not a valid number") from None
    return -value if negative else value


def _is_currency(text: str) -> bool:
    if not text:
        return True
    word = text.casefold().rstrip("$.").replace("č", "c")
    symbols = all(unicodedata.category(c) == "Sc" for c in text)
    return symbols or word in _CURRENCY_WORDS or word == ""


def _decimal_point(digits: str) -> str:
    commas, points = digits.count(","), digits.count(".")
    thousands: str | None = None
    mark: str | None = None
    if commas and points:
        mark = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if mark == "," else ","
    elif commas > 1 or (commas == 1 and _THOUSAND_ONLY.fullmatch(digits)):
        # "1,234" is a thousand in English files; "0,125" or "12,5" is a decimal comma.
        thousands = ","
    elif points > 1:
        thousands = "."
    elif commas or points:
        mark = "," if commas else "."
    whole, fraction = digits.rsplit(mark, 1) if mark else (digits, "")
    if thousands:
        grouped = _GROUPED_COMMA if thousands == "," else _GROUPED_POINT
        if grouped.fullmatch(whole) is None:
            raise ValueError("not a valid number: misplaced thousands separator")
        whole = whole.replace(thousands, "")
    return f"{whole or '0'}.{fraction}" if mark else whole


_TRUE = frozenset({"yes", "y", "true", "t", "1", "si", "s", "ano", "a", "on", "x", "ok", "opt in"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "ne", "off", "opt out"})


def parse_bool(raw: str) -> bool:
    """Yes or no in English, Spanish or Czech (yes/no, true/false, 1/0, sí/no, ano/ne)."""
    key = _plain(raw).replace("-", " ").replace("_", " ")
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError("not a yes/no value (use yes or no)")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _time_zones() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def normalize_time_zone(raw: str) -> str:
    """An IANA time zone name in its canonical spelling."""
    text = raw.strip()
    zones = _time_zones()
    if not zones:
        # Without a tz database there is nothing to check against; keep the operator's value.
        return text
    name = zones.get(text.casefold())
    if name is None:
        raise ValueError("not a known time zone (use an IANA name such as America/New_York)")
    return name


_CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "KČ": "CZK"}


def normalize_currency(raw: str) -> str:
    """An ISO 4217 code; a few unambiguous symbols are translated."""
    text = raw.strip().upper()
    text = _CURRENCY_SYMBOLS.get(text, text)
    if len(text) != 3 or not (text.isascii() and text.isalpha()):
        raise ValueError("not a currency code (use a three-letter code such as USD)")
    return text


_CUSTOMER_TYPES = {
    "person": "person",
    "individual": "person",
    "natural person": "person",
    "persona": "person",
    "persona natural": "person",
    "persona fisica": "person",
    "fyzicka osoba": "person",
    "fo": "person",
    "osoba": "person",
    "consumer": "person",
    "company": "company",
    "business": "company",
    "organization": "company",
    "organisation": "company",
    "corporate": "company",
    "empresa": "company",
    "persona juridica": "company",
    "persona moral": "company",
    "firma": "company",
    "pravnicka osoba": "company",
    "po": "company",
    "spolecnost": "company",
}


def normalize_customer_type(raw: str) -> Literal["person", "company"]:
    """The customer type, person or company, from the usual English, Spanish and Czech words."""
    kind = _CUSTOMER_TYPES.get(_plain(raw))
    if kind == "person":
        return "person"
    if kind == "company":
        return "company"
    raise ValueError("customer type must be person or company")
