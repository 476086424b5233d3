"""Checking the rows of an import, in two steps that can run in different processes.

`RowChecker.check` validates a batch and encodes each valid row's event. It holds no state
between batches, so batches can be checked in worker processes, in parallel and ahead of
publishing. `DuplicateSorter.sort` then takes the checked batches in file order and marks
in-file duplicates; it keeps the keys seen so far, so it runs in the import's own task.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

from listflow.kit.errors import Invalid
from listflow.kit.pii import Protector
from listflow.schemas.events import ContactRowParsed
from listflow.schemas.leads import DuplicatePolicy, LeadRowParsed
from listflow.schemas.matching import match_value, match_values
from listflow.schemas.values import (
    Consents,
    ContactData,
    MatchKey,
    MatchPolicy,
    RowStatus,
    TargetRef,
)

from .file_rows import BrokenRow, OversizedRow, RaggedRow, Row
from .lead_rows import LeadConverter, UniqueValues
from .reports import masked_cells, national_id_columns
from .rows import RowError, RowOptions, RowValidator


@dataclass(frozen=True)
class LeadSpec:
    """For an import into a lead list: the list's fields and what each row event carries."""

    converter: LeadConverter
    duplicates: DuplicatePolicy
    churn: bool


@dataclass(frozen=True)
class CheckSpec:
    """Everything a worker needs to check the rows of one import; small, sent with a batch."""

    run_id: str  # one per import attempt: a worker keeps one validator per run
    upload_id: str
    tenant_id: str
    headers: tuple[str, ...]
    mapping: dict[int, str]
    row_options: RowOptions
    key: MatchKey
    match: MatchPolicy
    target: TargetRef
    tags: tuple[str, ...] = ()
    consents: Consents | None = None
    create_missing_tags: bool = False
    lead: LeadSpec | None = None
    # False for a preview: valid rows are only keyed (match value, dedupe key), not encoded
    # as row events, which would be most of a checked row's cost and all of its bytes.
    events: bool = True


@dataclass(frozen=True, slots=True)
class CheckedRow:
    row_number: int
    match_value: str
    body: bytes  # the encoded ContactRowParsed
    # What makes two rows of the file the same row: the match value, and the accounts a row
    # carries unless accounts are the match key (see `dedupe_key`).
    dedupe_key: str
    # A lead's values of `unique` custom fields, checked against earlier rows in file order.
    unique: tuple[tuple[str, str], ...] = ()

    def __reduce__(self) -> tuple[type["CheckedRow"], tuple[Any, ...]]:
        # Rows come back from the checker processes pickled: the dataclass's own state
        # protocol looks its fields up again for every row (~5% of a preview's CPU).
        return CheckedRow, _checked_row_fields(self)


# Every field of a CheckedRow in order, read in one call (a field added later is pickled too).
_checked_row_fields = attrgetter(*(f.name for f in fields(CheckedRow)))


@dataclass
class CheckedBatch:
    rows: list[CheckedRow]
    invalid: list[dict[str, Any]]
    size: int


@dataclass
class SortedBatch:
    rows: list[CheckedRow]
    outcomes: list[dict[str, Any]]


class RowChecker:
    """Validates rows into encoded row events, or into outcome documents saying why not."""

    def __init__(self, spec: CheckSpec, protector: Protector) -> None:
        self.spec = spec
        self.validator = RowValidator(list(spec.headers), spec.mapping, spec.row_options, protector)
        self._id_columns = national_id_columns([spec.mapping])

    def check(self, batch: Sequence[Row | BrokenRow]) -> CheckedBatch:
        spec = self.spec
        rows: list[CheckedRow] = []
        invalid: list[dict[str, Any]] = []
        for item in batch:
            if isinstance(item, RaggedRow | OversizedRow):
                # The cells are not echoed: a ragged row's are misplaced, an oversized one huge.
                invalid.append(
                    _invalid(spec.tenant_id, item.row_number, item.column, "", item.reason, None)
                )
                continue
            row_number, cells = item
            contact = self._contact(row_number, cells)
            if isinstance(contact, list):
                invalid.append(self._rejected(row_number, cells, contact))
                continue
            value = match_value(contact, spec.key)
            if value is None:
                reason = f"no value for the match key {spec.key.value}"
                invalid.append(
                    _invalid(
                        spec.tenant_id,
                        row_number,
                        spec.key.value,
                        "",
                        reason,
                        self._masked_cells(cells),
                    )
                )
                continue
            if spec.lead is not None:
                checked = self._lead(row_number, cells, contact, value, spec.lead)
                if isinstance(checked, dict):
                    invalid.append(checked)
                else:
                    rows.append(checked)
                continue
            if not spec.events:
                rows.append(
                    CheckedRow(row_number, value, b"", dedupe_key(contact, spec.key, value))
                )
                continue
            event = ContactRowParsed(
                tenant_id=spec.tenant_id,
                upload_id=spec.upload_id,
                row_number=row_number,
                target=spec.target,
                match=spec.match,
                match_key=spec.key,
                match_value=value,
                contact=contact,
                create_missing_tags=spec.create_missing_tags,
            )
            rows.append(
                CheckedRow(
                    row_number,
                    value,
                    event.model_dump_json().encode(),
                    dedupe_key(contact, spec.key, value),
                )
            )
        return CheckedBatch(rows, invalid, len(batch))

    def _lead(
        self,
        row_number: int,
        cells: list[str | None],
        contact: ContactData,
        value: str,
        lead_spec: LeadSpec,
    ) -> CheckedRow | dict[str, Any]:
        """The row as a lead of the target list, or why it cannot be one."""
        lead = lead_spec.converter.convert(contact)
        if isinstance(lead, list):
            return self._lead_rejected(row_number, cells, lead)
        unique = lead_spec.converter.unique_values(lead)
        if not self.spec.events:
            return CheckedRow(row_number, value, b"", value, unique)
        event = LeadRowParsed(
            tenant_id=self.spec.tenant_id,
            upload_id=self.spec.upload_id,
            row_number=row_number,
            target=self.spec.target,
            match_value=value,
            duplicates=lead_spec.duplicates,
            churn=lead_spec.churn,
            lead=lead,
        )
        return CheckedRow(row_number, value, event.model_dump_json().encode(), value, unique)

    def _lead_rejected(
        self, row_number: int, cells: list[str | None], errors: list[tuple[str, str, str]]
    ) -> dict[str, Any]:
        column, value, _ = errors[0]
        return _invalid(
            self.spec.tenant_id,
            row_number,
            column,
            value,
            "; ".join(f"{c}: {r}" for c, _, r in errors),
            self._masked_cells(cells),
            errors=[{"column": c, "value": v, "reason": r} for c, v, r in errors],
        )

    def keys(self, batch: Sequence[Row | BrokenRow]) -> list[tuple[int, str]]:
        """(row number, dedupe key) of each valid row: what `last_wins` needs to know first."""
        found: list[tuple[int, str]] = []
        for item in batch:
            if isinstance(item, RaggedRow | OversizedRow):
                continue
            row_number, cells = item
            contact = self.validator.validate(row_number, cells)
            if not isinstance(contact, list):
                value = match_value(contact, self.spec.key)
                if value is not None:
                    found.append((row_number, dedupe_key(contact, self.spec.key, value)))
        return found

    def _contact(self, row_number: int, cells: list[str | None]) -> ContactData | list[RowError]:
        result = self.validator.validate(row_number, cells)
        if isinstance(result, list) or not self.spec.events:
            # Tags and consents given with the import go into its events only.
            return result
        spec = self.spec
        updates: dict[str, Any] = {}
        if spec.tags:
            updates["tags"] = tuple(dict.fromkeys((*result.tags, *spec.tags)))
        if spec.consents is not None:
            given, own = spec.consents, result.consents
            updates["consents"] = Consents(
                email=own.email if own.email is not None else given.email,
                sms=own.sms if own.sms is not None else given.sms,
                call=own.call if own.call is not None else given.call,
            )
        return result.model_copy(update=updates) if updates else result

    def _rejected(
        self, row_number: int, cells: list[str | None], errors: list[RowError]
    ) -> dict[str, Any]:
        first = errors[0]
        return _invalid(
            self.spec.tenant_id,
            row_number,
            first.column,
            first.value,
            "; ".join(e.reason if not e.column else f"{e.column}: {e.reason}" for e in errors),
            self._masked_cells(cells),
            errors=[{"column": e.column, "value": e.value, "reason": e.reason} for e in errors],
        )

    def _masked_cells(self, cells: list[str | None]) -> list[str | None]:
        """The original row for the error report, with national ids masked."""
        return masked_cells(cells, self._id_columns)


@dataclass
class DuplicateSorter:
    """Marks in-file duplicates across the checked batches of one import, taken in file order."""

    tenant_id: str
    key: MatchKey
    # With `last_wins`, the last row number of every key, found by a first pass.
    last_rows: dict[str, int] | None = None
    seen: set[str] = field(default_factory=set)
    unique: UniqueValues = field(default_factory=UniqueValues)
    invalid: int = 0
    duplicates: int = 0

    def sort(self, checked: CheckedBatch) -> SortedBatch:
        self.invalid += len(checked.invalid)
        outcomes = list(checked.invalid)
        rows: list[CheckedRow] = []
        for row in checked.rows:
            if self._is_duplicate(row.dedupe_key, row.row_number):
                self.duplicates += 1
                outcomes.append(
                    {
                        "tenant_id": self.tenant_id,
                        "row_number": row.row_number,
                        "status": RowStatus.DUPLICATE.value,
                        "reason": f"same {self.key.value} as another row of the file",
                    }
                )
            elif row.unique and (repeated := self.unique.repeated(row.unique)):
                self.invalid += 1
                column, value, _ = repeated[0]
                outcomes.append(
                    _invalid(
                        self.tenant_id,
                        row.row_number,
                        column,
                        value,
                        "; ".join(f"{c}: {r}" for c, _, r in repeated),
                        None,
                        errors=[{"column": c, "value": v, "reason": r} for c, v, r in repeated],
                    )
                )
            else:
                rows.append(row)
        return SortedBatch(rows, outcomes)

    def _is_duplicate(self, value: str, row_number: int) -> bool:
        if self.last_rows is not None:
            return self.last_rows.get(value, row_number) != row_number
        if value in self.seen:
            return True
        self.seen.add(value)
        return False


HOPELESS_ROWS = 1000


@dataclass
class HopelessStart:
    """Whether a file's first rows are all invalid for one and the same reason: such a file
    cannot succeed (a wrong mapping, a wrong column), and reporting a million identical errors
    helps nobody. Fed the checked batches in file order; decides once."""

    rows: int = HOPELESS_ROWS
    seen: int = 0
    reason: str | None = None
    alike: bool = True

    def verdict(self, checked: CheckedBatch) -> str | None:
        """The shared reason, once the first `rows` rows are all invalid for it; else None."""
        if not self.alike or self.seen >= self.rows:
            return None
        if any(row.row_number <= self.rows for row in checked.rows):
            self.alike = False
            return None
        for outcome in checked.invalid:
            if outcome["row_number"] > self.rows:
                continue
            if self.reason is None:
                self.reason = outcome["reason"]
            elif outcome["reason"] != self.reason:
                self.alike = False
                return None
            self.seen += 1
        return self.reason if self.seen >= self.rows else None

    def failure(self, reason: str) -> str:
        return (
            f"the first {self.rows:,} rows are all invalid for the same reason: {reason}. "
            'The import was stopped; correct the file or the mapping, or send "insist": true '
            "to import its valid rows anyway"
        )


class HopelessFile(Invalid):
    """The file's first rows are all invalid alike: the import (or preview) stops there."""


def dedupe_key(contact: ContactData, key: MatchKey, value: str) -> str:
    """Rows of one customer with different accounts are not duplicates of each other: each
    adds its account to the customer (a debtor file has a row per account). Rows that repeat
    the customer and the same accounts are."""
    if key is MatchKey.ACCOUNT_NUMBER or not contact.accounts:
        return value
    accounts = sorted(set(match_values(contact, MatchKey.ACCOUNT_NUMBER)))
    return "\x1f".join((value, *accounts))


def _invalid(
    tenant_id: str,
    row_number: int,
    column: str,
    value: str,
    reason: str,
    cells: list[str | None] | None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "row_number": row_number,
        "status": RowStatus.INVALID.value,
        "column": column,
        "value": value,
        "reason": reason,
        "errors": errors or [{"column": column, "value": value, "reason": reason}],
        "cells": cells,
    }
