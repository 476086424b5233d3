"""Fields typed by hand (API create and update) normalized by the same rules as a file's
cells (listflow.schemas.normalize), so a contact looks the same whichever way it came in."""

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from listflow.contacts.domain.errors import Invalid
from listflow.kit.pii import Protector
from listflow.schemas.normalize import (
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
from listflow.schemas.values import Account, Consents, ExtraField

MAX_PHONES = 5
_PLAIN = ("first_name", "last_name", "company_name", "document_type", "address", "city", "state")


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


class FieldNormalizer:
    """Turns the raw fields of a request into ContactData values, or raises Invalid naming
    every field that is wrong. National ids are protected here and never echoed back."""

    def __init__(self, protector: Protector, default_region: str) -> None:
        self._protector = protector
        self._phones = PhoneNormalizer(default_region)
        self._region = default_region

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """ContactData fields for the keys present in `raw` (None clears a field)."""
        out: dict[str, Any] = {}
        errors: list[dict[str, str]] = []

        def attempt(name: str, convert: Callable[[], Any], shown: str | None = None) -> None:
            try:
                out[name] = convert()
            except (ValueError, ArithmeticError) as error:
                errors.append({"field": shown or name, "message": str(error)})

        for name in _PLAIN:
            if name in raw:
                out[name] = _text(raw[name])
        for name in ("customer_id", "external_id"):
            if name in raw:
                out[name] = _text(raw[name])
        if "customer_type" in raw:
            attempt("customer_type", lambda: normalize_customer_type(str(raw["customer_type"])))
        if "ssn" in raw:
            attempt("ssn", lambda: self._protect("ssn", raw["ssn"], normalize_ssn))
        if "document_number" in raw:
            attempt(
                "document",
                lambda: self._protect("document", raw["document_number"], str.upper),
                "document_number",
            )
        if "date_of_birth" in raw:
            attempt("date_of_birth", lambda: self._birth(raw["date_of_birth"]))
        if "phones" in raw:
            phones: dict[str, Any] = {}
            given = list(raw["phones"] or ())
            if len(given) > MAX_PHONES:
                errors.append({"field": "phones", "message": f"at most {MAX_PHONES} phones"})
            for i, text in enumerate(given[:MAX_PHONES]):
                try:
                    phone = self._phones.normalize(str(text))
                except ValueError as error:
                    errors.append({"field": f"phones.{i}", "message": str(error)})
                else:
                    phones.setdefault(phone.e164, phone)
            out["phones"] = tuple(phones.values())
        if "emails" in raw:
            emails: dict[str, str] = {}
            for i, text in enumerate(raw["emails"] or ()):
                try:
                    email = normalize_email(str(text))
                except ValueError as error:
                    errors.append({"field": f"emails.{i}", "message": str(error)})
                else:
                    emails.setdefault(email.lower(), email)
            out["emails"] = tuple(emails.values())
        country = raw.get("country")
        if "country" in raw:
            out["country"] = country_code(_text(country)) or _text(country)
        if "postcode" in raw:
            attempt(
                "postcode",
                lambda: (
                    normalize_postcode(str(raw["postcode"]), _text(country) or self._region)
                    if _text(raw["postcode"])
                    else None
                ),
            )
        if "time_zone" in raw:
            attempt(
                "time_zone",
                lambda: (
                    normalize_time_zone(str(raw["time_zone"])) if _text(raw["time_zone"]) else None
                ),
            )
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
            raise Invalid("Some fields are not valid.", errors)
        return out

    def _protect(self, kind: str, value: Any, normalize: Callable[[str], str]) -> Any:
        text = _text(value)
        return self._protector.protect(kind, normalize(text)) if text else None

    @staticmethod
    def _birth(value: Any) -> date | None:
        text = _text(value)
        if text is None:
            return None
        birth = parse_date(text, "YMD")
        if birth > date.today():
            raise ValueError("date of birth is in the future")
        return birth

    @staticmethod
    def _account(raw: Mapping[str, Any]) -> Account:
        number = _text(raw.get("number"))
        if number is None:
            raise ValueError("an account needs a number")
        balance = raw.get("balance")
        currency = _text(raw.get("currency"))
        return Account(
            number=number,
            balance=None
            if balance is None or balance == ""
            else (balance if isinstance(balance, Decimal) else parse_decimal(str(balance))),
            currency=normalize_currency(currency) if currency else None,
            status=_text(raw.get("status")),
        )
