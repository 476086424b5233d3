"""Rows bound for a lead list: the dialer-leads fields, the list's custom fields, LeadRowParsed.

Rows are validated by the same RowValidator as contact rows (phones, time zone, email); this
module narrows the mapping to what a lead has, types the custom columns by the list's table
definition and turns each valid row into LeadData.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from listflow.schemas.leads import CustomFieldDefinition, CustomValue, LeadData, parse_custom
from listflow.schemas.normalize import DateOrder
from listflow.schemas.values import ContactData

from .fields import EXTRA, IGNORE, PHONE_FIELDS

LEAD_FIELDS = frozenset(
    {"first_name", "last_name", "company_name", *PHONE_FIELDS, "time_zone", "email", EXTRA, IGNORE}
)


@dataclass(frozen=True)
class LeadListInfo:
    """What ingest needs of a lead list (from the leads API): its id, name and custom fields."""

    id: str
    name: str
    fields: tuple[CustomFieldDefinition, ...] = ()

    @classmethod
    def from_document(cls, doc: Mapping[str, object]) -> "LeadListInfo":
        raw_fields = doc.get("fields") or []
        assert isinstance(raw_fields, list)
        return cls(
            id=str(doc["id"]),
            name=str(doc["name"]),
            fields=tuple(CustomFieldDefinition.model_validate(f) for f in raw_fields),
        )

    def document(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "fields": [f.model_dump() for f in self.fields]}


def lead_explicit_mapping(
    headers: Sequence[str], explicit: Mapping[str, str], info: LeadListInfo
) -> tuple[dict[str, str], dict[str, str]]:
    """The explicit mapping to resolve, with columns of custom fields kept as extra data, and
    the custom field each such column feeds (column header -> field name)."""
    by_name = {f.name.casefold(): f.name for f in info.fields}
    resolved: dict[str, str] = {}
    renames: dict[str, str] = {}
    for column, target in explicit.items():
        custom = by_name.get(target.strip().casefold())
        if custom is not None and target.strip().lower() not in LEAD_FIELDS:
            resolved[column] = EXTRA
            renames[column] = custom
        else:
            resolved[column] = target
    for header in headers:
        custom = by_name.get(header.strip().casefold())
        if custom is not None and header not in explicit:
            resolved[header] = EXTRA
            renames[header] = custom
    return resolved, renames


def narrow_mapping(mapping: Mapping[int, str]) -> dict[int, str]:
    """Guessed contact fields a lead does not have (balance, tags...) stay as custom data."""
    return {i: (f if f in LEAD_FIELDS else EXTRA) for i, f in mapping.items()}


@dataclass(frozen=True)
class LeadConverter:
    """ContactData of a validated row -> LeadData, checking the list's custom fields.

    Pure, so that it runs in ingest's row-checker processes; whether a `unique` field's value
    repeats an earlier row of the file is decided where rows are seen in order
    (`UniqueValues`)."""

    info: LeadListInfo
    renames: dict[str, str]
    # The order of each date custom field (by name) in this file; ISO 8601 otherwise.
    date_orders: dict[str, DateOrder] = field(default_factory=dict)

    def convert(self, contact: ContactData) -> LeadData | list[tuple[str, str, str]]:
        """The lead, or its errors as (column, value, reason)."""
        definitions = {f.name.casefold(): f for f in self.info.fields}
        cells: dict[str, tuple[str, str]] = {}
        for extra in contact.extra:
            name = self.renames.get(extra.name, extra.name)
            cells[name.casefold()] = (name, extra.value)
        errors: list[tuple[str, str, str]] = []
        custom: list[CustomValue] = []
        for key, (name, raw) in cells.items():
            definition = definitions.get(key)
            if definition is None:
                custom.append(CustomValue(name=name, value=raw))
                continue
            try:
                value = parse_custom(definition, raw, self.date_orders.get(definition.name, "YMD"))
            except ValueError as error:
                errors.append((name, raw, str(error)))
                continue
            custom.append(CustomValue(name=definition.name, value=value))
        for key, definition in definitions.items():
            if key not in cells and not definition.nullable:
                errors.append((definition.name, "", "required value is missing"))
        if errors:
            return errors
        parts = [p for p in (contact.first_name, contact.last_name) if p]
        return LeadData(
            name=" ".join(parts) or contact.company_name,
            phones=contact.phones[:5],
            time_zone=contact.time_zone,
            email=contact.emails[0] if contact.emails else None,
            custom=tuple(custom),
        )

    def unique_values(self, lead: LeadData) -> tuple[tuple[str, str], ...]:
        """(field, value) of each `unique` custom field the lead has a value for."""
        values = {c.name: c.value for c in lead.custom}
        return tuple(
            (f.name, str(values[f.name]))
            for f in self.info.fields
            if f.unique and values.get(f.name) is not None
        )


@dataclass
class UniqueValues:
    """The values of `unique` fields seen so far in one file, taken in row order."""

    seen: dict[str, set[str]] = field(default_factory=dict)

    def repeated(self, values: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
        """Errors for the values an earlier row had; the others are remembered."""
        errors = [
            (name, value, "must be unique; another row has it")
            for name, value in values
            if value in self.seen.get(name, set())
        ]
        if not errors:
            for name, value in values:
                self.seen.setdefault(name, set()).add(value)
        return errors
