"""A live API server on loopback over a copy of the small demo world, with a key per role."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import Role
from matching.config import Settings
from matching.service import Matcher
from models.embedder import Embedder


@dataclass
class Live:
    url: str
    app: object
    matcher: Matcher
    keys: dict[str, str]

    def client(self, role: str | None = None, key: str | None = None) -> httpx.Client:
        headers = {}
        if role or key:
            headers["Authorization"] = f"Bearer {key or self.keys[role]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="package")
def live(world_home: Path, tmp_path_factory, model_dir: Path, embedder: Embedder) -> Iterator[Live]:
    home = tmp_path_factory.mktemp("api") / "home"
    shutil.copytree(world_home, home)
    settings = Settings(home=home, model_dir=model_dir)
    matcher = Matcher(settings, embedder=embedder)
    keys = {role.value: matcher.store.ledger.create_key(role.value, "test").key for role in Role}
    app = create_app(settings, matcher)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", app, matcher, keys)
    server.should_exit = True
    thread.join(timeout=10)
