"""One contact entered by hand: validated at once, then imported as a one-row upload, so it
takes the same matching path (and leaves the same history and reports) as a file."""

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from listflow.ingest.domain.fields import CANONICAL_FIELDS
from listflow.ingest.domain.upload import UploadOptions
from listflow.ingest.entrypoints.deps import container_of, uploader
from listflow.ingest.entrypoints.uploads import (
    UploadPublic,
    accept_spooled,
    parse_options,
    spool,
    to_public,
)
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
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
    return await container_of(request).accept.accept_record(
        tenant_id=tenant_id,
        record={f: _text(v) for f, v in record.items()},
        options=options,
        uploaded_by=uploader(request),
        api_key=request.headers.get("x-api-key"),
    )
