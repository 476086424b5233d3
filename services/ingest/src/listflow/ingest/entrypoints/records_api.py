"""One contact entered by hand: validated at once, then imported as a one-row upload, so it
takes the same matching path (and leaves the same history and reports) as a file."""

import csv
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from listflow.ingest.domain.fields import CANONICAL_FIELDS
from listflow.ingest.domain.rows import RowOptions, RowValidator
from listflow.ingest.domain.upload import UploadOptions
from listflow.ingest.entrypoints.deps import container_of
from listflow.ingest.entrypoints.uploads import (
    UploadPublic,
    accept_spooled,
    parse_options,
    spool,
    to_public,
)
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from listflow.schemas.matching import default_match_key, match_value
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

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
    doc = await accept_record(request, tenant.id, body.record, body.options)
    return to_public(doc, datetime.now(UTC))


class JsonUpload(BaseModel):
    """POST /v1/uploads as JSON: pasted cells or one record, with the options object."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1)
    record: dict[str, Value] | None = Field(default=None, min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)


async def create_from_json(request: Request, tenant_id: str) -> UploadPublic:
    container = container_of(request)
    limit = container.settings.ingest_max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Problem(413, "Text too large", f"Requests are limited to {limit:,} bytes.")
    try:
        data = json.loads(await request.body())
    except ValueError as exc:
        raise Problem(400, "Invalid JSON", "The request body is not valid JSON.") from exc
    try:
        body = JsonUpload.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors()
        ]
        raise Problem(422, "Invalid request", "The JSON body is not valid.", errors=errors) from exc
    if (body.text is None) == (body.record is None):
        raise Problem(
            422, "Nothing to import", "Send pasted cells in 'text' or one contact in 'record'."
        )
    options = parse_options(json.dumps(body.options))
    if body.record is not None:
        doc = await accept_record(request, tenant_id, body.record, options)
        return to_public(doc, datetime.now(UTC))
    assert body.text is not None
    path, name = await spool(None, body.text, container.settings.ingest_spool_dir, limit)
    try:
        doc = await accept_spooled(request, tenant_id, path, name, options)
    finally:
        path.unlink(missing_ok=True)
    return to_public(doc, datetime.now(UTC))


async def accept_record(
    request: Request, tenant_id: str, record: dict[str, Value], options: UploadOptions
) -> dict[str, Any]:
    """Validate one record now (422 with every reason), then accept it as a one-row upload."""
    container = container_of(request)
    unknown = sorted(set(record) - set(CANONICAL_FIELDS))
    if unknown:
        raise Problem(
            422,
            "Unknown fields",
            f"Unknown fields: {', '.join(unknown)}. Use: {', '.join(CANONICAL_FIELDS)}.",
        )
    fields = list(record)
    cells: list[str | None] = [_text(record[f]) or None for f in fields]
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
        return await accept_spooled(request, tenant_id, path, "record.csv", merged)
    finally:
        path.unlink(missing_ok=True)
