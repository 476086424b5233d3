"""Import of rows bound for a lead list: parses like a contact import, then narrows each row
to a lead and checks it against the list's custom fields (kept apart from handlers.py)."""

from dataclasses import dataclass
from typing import Any, Protocol

from listflow.ingest.domain.lead_rows import LeadConverter
from listflow.schemas.events import ContactRowParsed
from listflow.schemas.leads import DuplicatePolicy, LeadRowParsed
from listflow.schemas.values import RowStatus


class _ContactParse(Protocol):
    rows: list[ContactRowParsed]
    outcomes: list[dict[str, Any]]


class _ContactParser(Protocol):
    invalid: int

    def parse(self, batch: list[Any]) -> _ContactParse: ...


@dataclass
class LeadParsedBatch:
    rows: list[LeadRowParsed]
    outcomes: list[dict[str, Any]]


@dataclass
class LeadBatchParser:
    """Wraps the contact BatchParser: same validation, in-file duplicates and outcomes."""

    inner: _ContactParser
    converter: LeadConverter
    duplicates: DuplicatePolicy
    churn: bool

    def parse(self, batch: list[Any]) -> LeadParsedBatch:
        cells = {item[0]: item[1] for item in batch if isinstance(item, tuple)}
        parsed = self.inner.parse(batch)
        rows: list[LeadRowParsed] = []
        outcomes = list(parsed.outcomes)
        for row in parsed.rows:
            lead = self.converter.convert(row.contact)
            if isinstance(lead, list):
                self.inner.invalid += 1
                column, value, _ = lead[0]
                outcomes.append(
                    {
                        "tenant_id": row.tenant_id,
                        "row_number": row.row_number,
                        "status": RowStatus.INVALID.value,
                        "column": column,
                        "value": value,
                        "reason": "; ".join(f"{c}: {r}" for c, _, r in lead),
                        "errors": [{"column": c, "value": v, "reason": r} for c, v, r in lead],
                        "cells": cells.get(row.row_number),
                    }
                )
                continue
            rows.append(
                LeadRowParsed(
                    tenant_id=row.tenant_id,
                    upload_id=row.upload_id,
                    row_number=row.row_number,
                    target=row.target,
                    match_value=row.match_value,
                    duplicates=self.duplicates,
                    churn=self.churn,
                    lead=lead,
                )
            )
        return LeadParsedBatch(rows, outcomes)


def lead_parser_for(plan: Any, inner: _ContactParser) -> LeadBatchParser | None:
    """The lead parser for a plan whose target is a lead list, else None."""
    if plan.lead_list is None:
        return None
    options = plan.options
    duplicates = (
        DuplicatePolicy(scope=options.duplicates.scope, action=options.duplicates.action)
        if options.duplicates is not None
        else DuplicatePolicy()
    )
    return LeadBatchParser(
        inner=inner,
        converter=LeadConverter(plan.lead_list, dict(plan.renames)),
        duplicates=duplicates,
        churn=options.churn,
    )
