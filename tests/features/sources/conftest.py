"""Fixtures for the source tests: where the real files and recorded responses are, mock HTTP."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest

from forewarn.features.sources import _common

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"


@pytest.fixture
def real():
    """``real("wgi", "WGIData.csv")``: a file of ../shared/data/real, or skip the test."""
    def locate(*parts) -> Path:
        path = REAL.joinpath(*parts)
        if not path.is_file():
            pytest.skip(f"real data file {path} not found: the public datasets live in the "
                        "project's shared folder beside the repository")
        return path
    return locate


@pytest.fixture
def fixture_path():
    """``fixture_path("wgi", "WGIData.csv")``: a recorded publisher file in tests/fixtures."""
    return lambda *parts: FIXTURES.joinpath(*parts)


def _zipped(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def zipped():
    """``zipped({"name.csv": b"..."})``: the bytes of a zip archive holding those members."""
    return _zipped


class Recorder:
    """An httpx client whose transport answers from ``routes`` and records every request.

    ``routes`` maps a URL path to bytes, or to a function ``request -> httpx.Response``.
    """

    def __init__(self, routes):
        self.routes = routes
        self.requests: list[httpx.Request] = []
        self.client = httpx.Client(transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(request.url.path)
        if route is None:
            return httpx.Response(404, text="not found")
        return route(request) if callable(route) else httpx.Response(200, content=route)


@pytest.fixture
def recorder():
    made = []

    def make(routes) -> Recorder:
        made.append(Recorder(routes))
        return made[-1]
    yield make
    for r in made:
        r.client.close()


@pytest.fixture
def no_backoff(monkeypatch):
    """Retries without waiting, so failure tests stay fast."""
    monkeypatch.setattr(_common, "BACKOFF", 0.0)
