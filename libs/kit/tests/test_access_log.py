"""The access log names a request by its route's template: no path parameter, no query."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import structlog
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.testclient import TestClient
from listflow.kit.logging import configure_logging
from listflow.kit.service import build_app
from listflow.kit.settings import CommonSettings
from starlette.responses import PlainTextResponse

PHONE = "+12125550147"
router = APIRouter()


@router.delete("/v1/dnc/{phone}", status_code=204)
async def forget(phone: str) -> None:
    if phone != PHONE:
        raise HTTPException(404)


@router.get("/v1/boom/{phone}")
async def boom(phone: str) -> None:
    raise RuntimeError("unexpected")


@asynccontextmanager
async def _nothing(app: FastAPI) -> AsyncIterator[None]:
    yield


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_every_request_line_carries_the_route_template_and_never_the_raw_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("test")
    try:
        app = build_app(
            title="t",
            description="d",
            settings=CommonSettings(),
            lifespan=_nothing,
            routers=[router],
            checks={},
        )
        app.mount("/files", PlainTextResponse("file"))
        client = TestClient(app, raise_server_exceptions=False)
        assert client.delete(f"/v1/dnc/{PHONE}?phone={PHONE}").status_code == 204
        assert client.delete("/v1/dnc/+12125550148").status_code == 404  # route matched
        assert client.get(f"/v1/dnc/{PHONE}").status_code == 405  # the path, not the method
        assert client.get(f"/nowhere/{PHONE}").status_code == 404
        assert client.get(f"/files/{PHONE}.txt").status_code == 200
        assert client.get(f"/v1/boom/{PHONE}").status_code == 500
        out = capsys.readouterr().out
    finally:
        structlog.reset_defaults()
    assert PHONE not in out and "12125550148" not in out
    lines = _lines(out)
    logged = [x for x in lines if x["message"] == "http request"]
    requests = [(x["method"], x["route"], x["status"]) for x in logged]
    assert requests == [
        ("DELETE", "/v1/dnc/{phone}", 204),
        ("DELETE", "/v1/dnc/{phone}", 404),
        ("GET", "/v1/dnc/{phone}", 405),
        ("GET", "unmatched", 404),
        ("GET", "/files/{path}", 200),
    ]
    assert not any("path" in x for x in lines)
    errors = [x for x in lines if x["message"] == "unhandled error"]
    assert [x["route"] for x in errors] == ["/v1/boom/{phone}"]
