"""Liveness and readiness endpoints, the same on every service."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

Check = Callable[[], Awaitable[object]]


def infrastructure_checks(mongo: AsyncMongoClient[Any], broker: KafkaBroker) -> dict[str, Check]:
    """Readiness of what every service needs: its database and the Kafka broker."""

    async def mongodb() -> object:
        return await mongo.admin.command("ping")

    async def kafka() -> object:
        if not await broker.ping(timeout=2.0):
            raise ConnectionError("Kafka broker unreachable")
        return True

    return {"mongodb": mongodb, "kafka": kafka}


def health_router(checks: dict[str, Check]) -> APIRouter:
    """`/healthz` answers while the process runs; `/readyz` only when every dependency answers."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: MongoDB and Kafka reachable")
    async def readyz(request: Request) -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=2.0)
                results[name] = "ok"
            except Exception as exc:  # a failed dependency is the answer, not an error
                results[name] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return router
