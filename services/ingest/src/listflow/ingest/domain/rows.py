"""Validation of one file row into canonical contact data, by the shared contact rules
(listflow.schemas.contact_fields)."""

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from listflow.kit.pii import Protector
from listflow.schemas.contact_fields import (
    EMAIL_FIELDS,
    IDENTIFIER_FIELDS,
    PHONE_FIELDS,
    TEXT_FIELDS,
    ContactRules,
)
from listflow.schemas.normalize import (
    DateOrder,
    mask_ssn,
    normalize_currency,
    normalize_customer_type,
    normalize_email,
    normalize_time_zone,
    parse_bool,
    parse_decimal,
    region_date_order,
)
from listflow.schemas.values import (
    Account,
    Consents,
    ContactData,
    ExtraField,
    Phone,
)

from .fields import CANONICAL_FIELDS, EXTRA

MISSING = "required value is missing"
NO_IDENTIFIER = "row has no phone, email or identifier"
_IDENTIFIERS = IDENTIFIER_FIELDS
_PLAIN_TEXT = (*TEXT_FIELDS, "country")
_CONSENTS = (("consent_email", "email"), ("consent_sms", "sms"), ("consent_call", "call"))
_TAG_SEPARATORS = str.maketrans({";": ",", "|": ","})


@dataclass(frozen=True)
class RowError:
    """Why one cell (or, with an empty column, the whole row) was rejected."""

    row_number: int
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class RowRule:
    """A rule each row of a template keeps, said in words in the error of a row breaking it:
    at least one (`any_of`) or every one (`all_of`) of the named fields, or of the template's
    extra columns by header, has a value, for every row or for one customer type only."""

    text: str
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    customer_type: Literal["person", "company"] | None = None


@dataclass(frozen=True)
class RowOptions:
    """How the values of one upload are read."""

    default_region: str = "US"
    # The order of dates in fields that have none of their own in `date_orders`; None: the
    # region's.
    date_order: DateOrder | None = None
    date_orders: Mapping[str, DateOrder] = dataclasses.field(default_factory=dict)
    required_fields: tuple[str, ...] = ()
    # The template whose required fields and rules these are, named in their errors.
    template: str | None = None
    rules: tuple[RowRule, ...] = ()
    # None lets any tag through.
    allowed_tags: frozenset[str] | None = None


class RowValidator:
    """Turns the cells of one row into `ContactData`, or into every reason the row is invalid."""

    def __init__(
        self,
        headers: Sequence[str],
        mapping: Mapping[int, str],
        options: RowOptions,
        protector: Protector,
    ) -> None:
        unknown = sorted(set(options.required_fields) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(f"unknown required fields: {', '.join(unknown)}")
        self._headers = [h or f"column_{i + 1}" for i, h in enumerate(headers)]
        self._options = options
        self._contact_rules = ContactRules(protector, options.default_region)
        self._phones = self._contact_rules.phones
        self._fields = [
            (i, field) for i, field in sorted(mapping.items()) if field in CANONICAL_FIELDS
        ]
        self._extras = [(i, self._headers[i]) for i, f in sorted(mapping.items()) if f == EXTRA]
        extra_by_header = {name.casefold(): i for i, name in self._extras}
        by_field = {f: i for i, f in self._fields}
        # Each rule's operands as the columns that carry them (a field's, or an extra column
        # named by its header); an operand the file has no column for never has a value.
        self._rules = [
            (
                rule,
                [by_field.get(o, extra_by_header.get(o.casefold())) for o in rule.any_of],
                [by_field.get(o, extra_by_header.get(o.casefold())) for o in rule.all_of],
            )
            for rule in options.rules
        ]
        self._birth_order: DateOrder = (
            options.date_orders.get("date_of_birth")
            or options.date_order
            or region_date_order(options.default_region)
        )
        self._missing = (
            f"required by the {options.template} template" if options.template else MISSING
        )
        self._columns = {field: self._header(i) for i, field in self._fields}
        self._allowed_tags = (
            None
            if options.allowed_tags is None
            else {tag.casefold(): tag for tag in options.allowed_tags}
        )
        mapped = set(self._columns)
        self._plain = [f for f in _PLAIN_TEXT if f in mapped]
        self._phone_fields = [f for f in PHONE_FIELDS if f in mapped]
        self._email_fields = [f for f in EMAIL_FIELDS if f in mapped]
        self._consents = [(f, name) for f, name in _CONSENTS if f in mapped]
        parsers: dict[str, Callable[[str], Any]] = {
            "date_of_birth": self._birth_date,
            "time_zone": normalize_time_zone,
            "tags": self._tags,
            "customer_type": normalize_customer_type,
            "balance": parse_decimal,
            "currency": normalize_currency,
            "consent_email": parse_bool,
            "consent_sms": parse_bool,
            "consent_call": parse_bool,
        }
        parsers.update(dict.fromkeys(PHONE_FIELDS, self._phones.normalize))
        parsers.update(dict.fromkeys(EMAIL_FIELDS, normalize_email))
        self._parsers = parsers

    def _header(self, index: int) -> str:
        return self._headers[index] if index < len(self._headers) else f"column_{index + 1}"

    def validate(
        self, row_number: int, cells: Sequence[str | None]
    ) -> ContactData | list[RowError]:
        """The row as canonical contact data, or all of its errors."""
        values: dict[str, str] = {}
        size = len(cells)
        for i, field in self._fields:
            if i < size:
                cell = cells[i]
                if cell:
                    cell = cell.strip()
                    if cell:
                        values[field] = cell
        errors: list[RowError] = []
        parsed: dict[str, Any] = {}
        for field, raw in values.items():
            parse = self._parsers.get(field)
            if parse is not None:
                try:
                    parsed[field] = parse(raw)
                except ValueError as error:
                    errors.append(RowError(row_number, self._columns[field], raw, str(error)))

        contact: dict[str, Any] = {f: values[f] for f in self._plain if f in values}
        phones: list[Phone] = []
        for field in self._phone_fields:
            phone = parsed.get(field)
            if phone is not None and all(p.e164 != phone.e164 for p in phones):
                phones.append(phone)
        if phones:
            contact["phones"] = tuple(phones)
        emails: list[str] = []
        for field in self._email_fields:
            email = parsed.get(field)
            if email is not None and all(e.lower() != email.lower() for e in emails):
                emails.append(email)
        if emails:
            contact["emails"] = tuple(emails)

        if "ssn" in values:
            raw = values["ssn"]
            try:
                contact["ssn"] = self._contact_rules.ssn(raw)
            except ValueError as error:
                # The clear value must not reach error reports, logs or the operator's screen.
                errors.append(RowError(row_number, self._columns["ssn"], mask_ssn(raw), str(error)))
        if "document_number" in values:
            contact["document"] = self._contact_rules.document(values["document_number"])
        if "postcode" in values:
            raw = values["postcode"]
            try:
                contact["postcode"] = self._contact_rules.postcode(raw, values.get("country"))
            except ValueError as error:
                errors.append(RowError(row_number, self._columns["postcode"], raw, str(error)))

        if "date_of_birth" in parsed:
            contact["date_of_birth"] = parsed["date_of_birth"]
        # A time zone given but not valid is an error above, not one taken from a phone.
        time_zone = self._contact_rules.time_zone(
            parsed.get("time_zone"), () if "time_zone" in values else phones
        )
        if time_zone is not None:
            contact["time_zone"] = time_zone
        if parsed.get("tags"):
            contact["tags"] = parsed["tags"]
        if "account_number" in values:
            contact["accounts"] = (
                Account(
                    number=values["account_number"],
                    balance=parsed.get("balance"),
                    currency=parsed.get("currency"),
                ),
            )
        else:
            for field in ("balance", "currency"):
                if field in values:
                    reason = f"{field} is given without an account number"
                    errors.append(RowError(row_number, self._columns[field], values[field], reason))
        if self._consents:
            consents = {name: parsed.get(field) for field, name in self._consents}
            if any(v is not None for v in consents.values()):
                contact["consents"] = Consents(**consents)
        if "customer_type" in parsed:
            contact["customer_type"] = parsed["customer_type"]
        elif "company_name" in values and not ("first_name" in values or "last_name" in values):
            contact["customer_type"] = "company"

        for name in self._options.required_fields:
            if name not in values:
                column = self._columns.get(name, name)
                errors.append(RowError(row_number, column, "", self._missing))
        broken = self._broken_rules(cells, contact.get("customer_type"))
        errors.extend(RowError(row_number, "", "", rule.text) for rule in broken)
        if not broken and values.keys().isdisjoint(_IDENTIFIERS):
            errors.append(RowError(row_number, "", "", NO_IDENTIFIER))
        if errors:
            return errors

        extras = []
        for i, name in self._extras:
            if i < size:
                cell = cells[i]
                if cell and not cell.isspace():
                    extras.append(ExtraField(name=name, value=cell.strip()))
        if extras:
            contact["extra"] = tuple(extras)
        return ContactData(**contact)

    def _broken_rules(
        self, cells: Sequence[str | None], customer_type: str | None
    ) -> list[RowRule]:
        def given(index: int | None) -> bool:
            if index is None or index >= len(cells):
                return False
            cell = cells[index]
            return bool(cell and not cell.isspace())

        broken: list[RowRule] = []
        for rule, any_of, all_of in self._rules:
            if rule.customer_type is not None and rule.customer_type != customer_type:
                continue
            if (any_of and not any(map(given, any_of))) or not all(map(given, all_of)):
                broken.append(rule)
        return broken

    def _birth_date(self, raw: str) -> date:
        return self._contact_rules.date_of_birth(raw, self._birth_order)

    def _tags(self, raw: str) -> tuple[str, ...]:
        tags: dict[str, str] = {}
        for part in raw.translate(_TAG_SEPARATORS).split(","):
            tag = part.strip()
            if tag:
                tags.setdefault(tag.casefold(), tag)
        if self._allowed_tags is not None:
            refused = [tag for key, tag in tags.items() if key not in self._allowed_tags]
            if refused:
                names = ", ".join(repr(t) for t in refused)
                raise ValueError(
                    f"tag {names} is not allowed"
                    if len(refused) == 1
                    else f"tags {names} are not allowed"
                )
            return tuple(self._allowed_tags[key] for key in tags)
        return tuple(tags.values())
