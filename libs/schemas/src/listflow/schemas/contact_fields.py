"""The fields of a contact and the one set of rules that turns raw values into `ContactData`:
a file's cells (ingest's row validator) and a request's fields (contacts' API) alike, so a
contact looks the same whichever way it came in. Pure: the caller brings the protector that
turns a national id into its sealed form."""

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from listflow.schemas.normalize import (
    DateOrder,
    PhoneNormalizer,
    country_code,
    normalize_currency,
    normalize_customer_type,
    normalize_email,
    normalize_postcode,
    normalize_ssn,
    normalize_time_zone,
    parse_date,
    parse_decimal,
)
from listflow.schemas.values import Account, Consents, ExtraField, Phone, ProtectedId

PHONE_FIELDS: tuple[str, ...] = ("phone", "phone2", "phone3", "phone4", "phone5")
EMAIL_FIELDS: tuple[str, ...] = ("email", "email2")
# A contact keeps at most this many phones, whichever way they came in.
MAX_PHONES = len(PHONE_FIELDS)

NAME_FIELDS: tuple[str, ...] = ("first_name", "last_name", "company_name")
ID_FIELDS: tuple[str, ...] = ("customer_id", "external_id")
PLACE_FIELDS: tuple[str, ...] = ("address", "city", "state", "postcode", "country", "time_zone")
CONSENT_FIELDS: tuple[str, ...] = ("consent_email", "consent_sms", "consent_call")

# Every field a file's column (or a template) can be mapped to.
CONTACT_FIELDS: tuple[str, ...] = (
    *NAME_FIELDS,
    "customer_type",
    *ID_FIELDS,
    "document_type",
    "document_number",
    "ssn",
    "date_of_birth",
    *PHONE_FIELDS,
    *EMAIL_FIELDS,
    *PLACE_FIELDS,
    "account_number",
    "balance",
    "currency",
    "tags",
    *CONSENT_FIELDS,
)
# Taken as written (trimmed); every other field has a rule of its own.
TEXT_FIELDS: tuple[str, ...] = (*NAME_FIELDS, *ID_FIELDS, "document_type", *PLACE_FIELDS[:3])
# A row needs at least one of these to be matched to a customer.
IDENTIFIER_FIELDS = frozenset(
    (
        *PHONE_FIELDS,
        *EMAIL_FIELDS,
        "account_number",
        "customer_id",
        "external_id",
        "document_number",
        "ssn",
    )
)
# The single-valued fields of ContactData (collections merge by rules of their own).
CONTACT_SCALARS: tuple[str, ...] = (
    *NAME_FIELDS,
    *ID_FIELDS,
    "document_type",
    "document",
    "ssn",
    "date_of_birth",
    *PLACE_FIELDS,
)


class Protects(Protocol):
    """Seals a national id (a keyed hash to match on, and the value encrypted)."""

    def protect(self, kind: str, value: str) -> ProtectedId: ...


class InvalidFields(ValueError):
    """Some fields of a request are wrong; `errors` names each (`field`, `message`)."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


def text(value: Any) -> str | None:
    """A value as trimmed text, None when blank."""
    stripped = str(value).strip() if value is not None else ""
    return stripped or None


class ContactRules:
    """The normalization of each contact field, for one default region."""

    def __init__(self, protector: Protects, default_region: str) -> None:
        self.protector = protector
        self.default_region = default_region
        self.phones = PhoneNormalizer(default_region)

    def ssn(self, raw: str) -> ProtectedId:
        return self.protector.protect("ssn", normalize_ssn(raw))

    def document(self, raw: str) -> ProtectedId:
        return self.protector.protect("document", raw.upper())

    def postcode(self, raw: str, country: str | None) -> str:
        """Checked against the contact's country, else the default region."""
        return normalize_postcode(raw, country or self.default_region)

    @staticmethod
    def date_of_birth(raw: str, order: DateOrder) -> date:
        birth = parse_date(raw, order)
        if birth > date.today():
            raise ValueError("date of birth is in the future")
        return birth

    @staticmethod
    def time_zone(explicit: str | None, phones: Iterable[Phone]) -> str | None:
        """The time zone given, else the first phone's (from its number's region)."""
        if explicit is not None:
            return explicit
        first = next(iter(phones), None)
        return first.time_zone if first is not None else None

    @staticmethod
    def account(
        number: str,
        balance: Decimal | str | None,
        currency: str | None,
        status: str | None = None,
    ) -> Account:
        return Account(
            number=number,
            balance=None
            if balance is None or balance == ""
            else (balance if isinstance(balance, Decimal) else parse_decimal(str(balance))),
            currency=normalize_currency(currency) if currency else None,
            status=status,
        )


class FieldNormalizer:
    """Turns the raw fields of a request into ContactData values, or raises InvalidFields
    naming every field that is wrong. National ids are protected here and never echoed back."""

    def __init__(self, protector: Protects, default_region: str) -> None:
        self.rules = ContactRules(protector, default_region)

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """ContactData fields for the keys present in `raw` (None clears a field)."""
        rules = self.rules
        out: dict[str, Any] = {}
        errors: list[dict[str, str]] = []

        def attempt(name: str, convert: Callable[[], Any], shown: str | None = None) -> None:
            try:
                out[name] = convert()
            except (ValueError, ArithmeticError) as error:
                errors.append({"field": shown or name, "message": str(error)})

        def optional(value: Any, convert: Callable[[str], Any]) -> Any:
            given = text(value)
            return convert(given) if given else None

        for name in TEXT_FIELDS:
            if name in raw:
                out[name] = text(raw[name])
        if "customer_type" in raw:
            attempt("customer_type", lambda: normalize_customer_type(str(raw["customer_type"])))
        if "ssn" in raw:
            attempt("ssn", lambda: optional(raw["ssn"], rules.ssn))
        if "document_number" in raw:
            attempt(
                "document",
                lambda: optional(raw["document_number"], rules.document),
                "document_number",
            )
        if "date_of_birth" in raw:
            attempt(
                "date_of_birth",
                lambda: optional(raw["date_of_birth"], lambda t: rules.date_of_birth(t, "YMD")),
            )
        if "phones" in raw:
            phones: dict[str, Any] = {}
            given = list(raw["phones"] or ())
            if len(given) > MAX_PHONES:
                errors.append({"field": "phones", "message": f"at most {MAX_PHONES} phones"})
            for i, value in enumerate(given[:MAX_PHONES]):
                try:
                    phone = rules.phones.normalize(str(value))
                except ValueError as error:
                    errors.append({"field": f"phones.{i}", "message": str(error)})
                else:
                    phones.setdefault(phone.e164, phone)
            out["phones"] = tuple(phones.values())
        if "emails" in raw:
            emails: dict[str, str] = {}
            for i, value in enumerate(raw["emails"] or ()):
                try:
                    email = normalize_email(str(value))
                except ValueError as error:
                    errors.append({"field": f"emails.{i}", "message": str(error)})
                else:
                    emails.setdefault(email.lower(), email)
            out["emails"] = tuple(emails.values())
        country = raw.get("country")
        if "country" in raw:
            out["country"] = country_code(text(country)) or text(country)
        if "postcode" in raw:
            attempt(
                "postcode",
                lambda: optional(raw["postcode"], lambda t: rules.postcode(t, text(country))),
            )
        if "time_zone" in raw:
            attempt("time_zone", lambda: optional(raw["time_zone"], normalize_time_zone))
        if "accounts" in raw:
            accounts: list[Account] = []
            for i, account in enumerate(raw["accounts"] or ()):
                try:
                    accounts.append(self._account(account))
                except (ValueError, ArithmeticError) as error:
                    errors.append({"field": f"accounts.{i}", "message": str(error)})
            out["accounts"] = tuple(accounts)
        if "tags" in raw:
            out["tags"] = tuple(dict.fromkeys(t.strip() for t in raw["tags"] or () if t.strip()))
        if "consents" in raw:
            out["consents"] = Consents(**(raw["consents"] or {}))
        if "extra" in raw:
            out["extra"] = tuple(
                ExtraField(name=str(k), value=str(v)) for k, v in (raw["extra"] or {}).items()
            )
        if errors:
            raise InvalidFields("Some fields are not valid.", errors)
        return out

    def _account(self, raw: Mapping[str, Any]) -> Account:
        number = text(raw.get("number"))
        if number is None:
            raise ValueError("an account needs a number")
        return self.rules.account(
            number, raw.get("balance"), text(raw.get("currency")), text(raw.get("status"))
        )
