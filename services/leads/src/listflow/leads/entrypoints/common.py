"""What the leads routers share: strict request models, path and query parameters, stats."""

from typing import Annotated

from fastapi import Path, Query
from listflow.schemas.text import Id, SafeText
from pydantic import BaseModel, ConfigDict

Cursor = Annotated[SafeText | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=1000)]
ListId = Annotated[Id, Path(description="Lead list id")]
CampaignId = Annotated[Id, Path(description="Dialer campaign id")]
LeadId = Annotated[Id, Path(description="Lead id")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stats(BaseModel):
    total: int
    new: int
    queued: int
    deferred: int
    dialed: int
    completed: int
    dnc: int
    by_status: dict[str, int]
    by_result: dict[str, int]

    @classmethod
    def of(cls, by_status: dict[str, int], by_result: dict[str, int]) -> "Stats":
        return cls(
            total=sum(by_status.values()),
            new=by_status.get("new", 0),
            queued=by_status.get("queued", 0),
            deferred=by_status.get("deferred", 0),
            dialed=by_status.get("dialed", 0),
            completed=by_status.get("completed", 0),
            dnc=by_status.get("dnc", 0),
            by_status=by_status,
            by_result={k: v for k, v in by_result.items() if k != "None"},
        )
