"""How many stored contacts match given values: what an upload preview asks before importing."""

from typing import Annotated

from fastapi import APIRouter, Request
from listflow.contacts.bootstrap import Container
from listflow.kit.auth import TenantDep
from listflow.kit.problems import PROBLEM_RESPONSES
from listflow.schemas.text import SafeText
from listflow.schemas.values import MatchKey
from pydantic import BaseModel, Field, StringConstraints

MAX_VALUES = 5000

router = APIRouter(prefix="/v1/contacts", tags=["contacts"], responses=PROBLEM_RESPONSES)


class MatchCountsQuery(BaseModel):
    key: MatchKey
    values: list[Annotated[SafeText, StringConstraints(min_length=1, max_length=512)]] = Field(
        max_length=MAX_VALUES,
        description="Normalized match values (listflow.schemas.matching), at most 5000.",
    )
    per_value: bool = Field(
        default=True,
        description="Whether to answer `counts` per value; a preview wants only the totals.",
    )


class MatchCounts(BaseModel):
    key: MatchKey
    no_match: int
    one_match: int
    several_matches: int
    counts: dict[str, int] = Field(
        description="Contacts found per value: 0, 1, or 2 meaning two or more (empty when "
        "asked with `per_value: false`)."
    )


@router.post(
    "/match-counts",
    response_model=MatchCounts,
    summary="Count the stored contacts each match value finds (none, one, several)",
)
async def match_counts(request: Request, tenant: TenantDep, query: MatchCountsQuery) -> MatchCounts:
    container: Container = request.app.state.container
    counts = await container.repository.count_matches(tenant.id, query.key, query.values, cap=2)
    found = list(counts.values())
    return MatchCounts(
        key=query.key,
        no_match=found.count(0),
        one_match=found.count(1),
        several_matches=sum(1 for n in found if n >= 2),
        counts=counts if query.per_value else {},
    )
