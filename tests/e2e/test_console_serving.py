"""The gateway serves the built console at every path no service claims."""

from pathlib import Path

import httpx
import pytest
from listflow.devstack.gateway import create_gateway


@pytest.fixture
def built(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>console</html>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("not for the browser")
    return dist


def client_of(console_dir: Path) -> httpx.AsyncClient:
    gateway = create_gateway({}, console_dir=console_dir)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw")


async def test_index_files_and_browser_routes(built: Path) -> None:
    async with client_of(built) as client:
        for path in ("/", "/uploads", "/uploads/0193-abc", "/upload/"):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.text == "<html>console</html>"
            assert response.headers["cache-control"] == "no-cache"
        asset = await client.get("/assets/index-abc123.js")
        assert asset.status_code == 200
        assert "immutable" in asset.headers["cache-control"]
        assert (await client.get("/favicon.svg")).headers["cache-control"] == "no-cache"


async def test_what_is_not_the_console(built: Path) -> None:
    async with client_of(built) as client:
        missing = await client.get("/assets/index-gone.js")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        # A path climbing out of the build gets the console, never the file.
        escaped = await client.get("/%2e%2e/secret.txt")
        assert "not for the browser" not in escaped.text
        assert (await client.post("/uploads")).status_code == 405
        unknown_api = await client.get("/v1/nothing-here")
        assert unknown_api.status_code == 404
        assert unknown_api.json()["detail"] == "No service serves /v1/nothing-here."


async def test_without_a_build_it_says_how_to_make_one(tmp_path: Path) -> None:
    async with client_of(tmp_path / "dist") as client:
        response = await client.get("/")
        assert response.status_code == 503
        assert "make run" in response.json()["detail"]
