"""Saved column mappings: name a mapping once, reuse it by name in any upload's options."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from listflow.ingest.adapters.mapping_repository import (
    MappingNameTaken,
    MappingRepository,
    name_key,
)
from listflow.ingest.domain.fields import CANONICAL_FIELDS, EXTRA, IGNORE
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES, Problem
from pydantic import BaseModel, Field, field_validator

router = APIRouter(prefix="/v1/mappings", tags=["mappings"], responses=PROBLEM_RESPONSES)
FIELDS = frozenset((*CANONICAL_FIELDS, EXTRA, IGNORE))


class MappingIn(BaseModel):
    """A saved mapping: file column header -> canonical field, "extra" or "ignore"."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    columns: dict[str, str] = Field(min_length=1, max_length=500)

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        cleaned = {h: f.strip().lower() for h, f in columns.items()}
        unknown = sorted({f for f in cleaned.values() if f not in FIELDS})
        if unknown:
            raise ValueError(
                f"unknown fields {', '.join(unknown)}; use {', '.join(sorted(FIELDS))}"
            )
        if any(not h.strip() or len(h) > 200 for h in cleaned):
            raise ValueError("column headers must be 1 to 200 characters")
        return cleaned


class MappingPublic(MappingIn):
    id: str
    created_at: datetime
    updated_at: datetime


class MappingPage(BaseModel):
    items: list[MappingPublic]
    next_cursor: str | None


def _repository(request: Request) -> MappingRepository:
    repository: MappingRepository = request.app.state.container.mappings
    return repository


def _to_public(doc: dict[str, Any]) -> MappingPublic:
    return MappingPublic(
        id=doc["_id"],
        name=doc["name"],
        description=doc.get("description"),
        # Stored as pairs: headers may hold "." or start with "$", which keys may not.
        columns={pair["column"]: pair["field"] for pair in doc["columns"]},
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def _fields(body: MappingIn) -> dict[str, Any]:
    return {
        "name": body.name.strip(),
        "name_key": name_key(body.name),
        "description": body.description,
        "columns": [{"column": h, "field": f} for h, f in body.columns.items()],
    }


def _taken(name: str) -> Problem:
    return Problem(409, "Name taken", f"A saved mapping is already named {name!r}.")


@router.post("", status_code=201, response_model=MappingPublic, summary="Save a mapping")
async def create_mapping(request: Request, tenant: TenantDep, body: MappingIn) -> MappingPublic:
    now = datetime.now(UTC)
    doc = {
        "_id": uuid.uuid4().hex,
        "tenant_id": tenant.id,
        **_fields(body),
        "created_at": now,
        "updated_at": now,
    }
    try:
        await _repository(request).insert(doc)
    except MappingNameTaken:
        raise _taken(body.name) from None
    return _to_public(doc)


@router.get("", response_model=MappingPage, summary="Saved mappings, by name")
async def list_mappings(
    request: Request,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> MappingPage:
    docs, next_cursor = await _repository(request).page(tenant.id, limit=limit, cursor=cursor)
    return MappingPage(items=[_to_public(d) for d in docs], next_cursor=next_cursor)


@router.get("/{mapping_id}", response_model=MappingPublic, summary="One saved mapping")
async def get_mapping(request: Request, tenant: TenantDep, mapping_id: str) -> MappingPublic:
    doc = await _repository(request).get(tenant.id, mapping_id)
    if doc is None:
        raise Problem(404, "Not Found", f"No saved mapping {mapping_id} in this tenant.")
    return _to_public(doc)


@router.put("/{mapping_id}", response_model=MappingPublic, summary="Replace a saved mapping")
async def replace_mapping(
    request: Request, tenant: TenantDep, mapping_id: str, body: MappingIn
) -> MappingPublic:
    try:
        doc = await _repository(request).replace(
            tenant.id, mapping_id, {**_fields(body), "updated_at": datetime.now(UTC)}
        )
    except MappingNameTaken:
        raise _taken(body.name) from None
    if doc is None:
        raise Problem(404, "Not Found", f"No saved mapping {mapping_id} in this tenant.")
    return _to_public(doc)


@router.delete("/{mapping_id}", status_code=204, summary="Delete a saved mapping")
async def delete_mapping(request: Request, tenant: TenantDep, mapping_id: str) -> Response:
    if not await _repository(request).delete(tenant.id, mapping_id):
        raise Problem(404, "Not Found", f"No saved mapping {mapping_id} in this tenant.")
    return Response(status_code=204)
