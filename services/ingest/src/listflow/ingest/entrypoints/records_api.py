"""One contact entered by hand: validated at once, then imported as a one-row upload, so it
takes the same matching path (and leaves the same history and reports) as a file."""

import csv
import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from listflow.ingest.bootstrap import Container
from listflow.ingest.domain.fields import CANONICAL_FIELDS
from listflow.ingest.domain.rows import RowOptions, RowValidator, default_match_key
from listflow.ingest.domain.upload import UploadOptions
from listflow.ingest.entrypoints.api import UploadPublic, accept_spooled, to_public
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from listflow.schemas.matching import match_value
from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StrictStr

router = APIRouter(prefix="/v1/uploads", tags=["uploads"], responses=PROBLEM_RESPONSES)

Value = StrictStr | StrictInt | StrictFloat | StrictBool | None


class RecordIn(BaseModel):
    record: dict[str, Value] = Field(
        min_length=1,
        max_length=len(CANONICAL_FIELDS),
        description="Canonical field -> value, as a file row would carry it "
        '(e.g. {"first_name": "Ana", "phone": "+34 600 123 456", "account_number": "A-1"}).',
    )
    options: UploadOptions = Field(default_factory=UploadOptions)


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@router.post(
    "/record",
    status_code=202,
    response_model=UploadPublic,
    summary="Enter one contact by hand; invalid values answer 422 with every reason",
)
async def create_record(request: Request, tenant: TenantDep, body: RecordIn) -> UploadPublic:
    container: Container = request.app.state.container
    unknown = sorted(set(body.record) - set(CANONICAL_FIELDS))
    if unknown:
        raise Problem(
            422,
            "Unknown fields",
            f"Unknown fields: {', '.join(unknown)}. Use: {', '.join(CANONICAL_FIELDS)}.",
        )
    fields = list(body.record)
    cells: list[str | None] = [_text(body.record[f]) or None for f in fields]
    options = body.options
    ingest = container.ingest
    validator = RowValidator(
        fields,
        dict(enumerate(fields)),
        RowOptions(
            default_region=options.default_region or ingest.default_region,
            date_order=options.date_order,
        ),
        ingest.protector,
    )
    result = validator.validate(1, cells)
    if isinstance(result, list):
        raise Problem(
            422,
            "Invalid record",
            "; ".join(f"{e.column}: {e.reason}" if e.column else e.reason for e in result),
            errors=[{"field": e.column, "value": e.value, "reason": e.reason} for e in result],
        )
    key = options.match.key or default_match_key(set(fields))
    if match_value(result, key) is None:
        raise Problem(
            422, "Invalid record", f"The record has no value for the match key {key.value}."
        )
    # The same path as a file: a one-row CSV whose header is the field names.
    path = container.settings.ingest_spool_dir / f"record-{secrets.token_hex(8)}.csv"
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(fields)
        writer.writerow([c or "" for c in cells])
    layout = UploadOptions.model_validate(
        {"encoding": "utf-8", "delimiter": ",", "quote": '"', "header": True, "mapping": {}}
    )
    merged = options.merged_with(layout).model_copy(
        update={"mapping": {f: f for f in fields}, "template": None}
    )
    try:
        doc = await accept_spooled(request, tenant.id, path, "record.csv", merged)
    finally:
        path.unlink(missing_ok=True)
    return to_public(doc, datetime.now(UTC))
