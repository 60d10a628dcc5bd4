"""A live API server on loopback over a copy of the small demo world, with a key per role."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from demo.staff import werkplein
from eval.bench_http import tls
from matching.config import Settings
from matching.directory import User
from matching.geo import geography
from matching.records import Kind
from matching.service import Matcher
from matching.transfer import copy_database
from models.embedder import Embedder
from tests.factories import vacancy
from tests.postgres import PostgresServer, free_port


@dataclass
class Live:
    url: str
    app: object
    matcher: Matcher
    keys: dict[str, str]
    users: dict[str, User]

    def client(self, role: str | None = None, key: str | None = None) -> httpx.Client:
        """A client with a key (by role, or given), saying why it asks (`X-Purpose`)."""
        headers = {"X-Purpose": "test"}
        if role or key:
            headers["Authorization"] = f"Bearer {key or self.keys[role]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=120, verify=tls())


def wait_healthy(proc: subprocess.Popen, url: str, log: Path, seconds: float) -> None:
    """Wait until the server process at `url` answers /health (its log if it dies first)."""
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{url}/health", timeout=2, verify=tls()).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"server did not answer /health in {seconds} s"
        time.sleep(0.3)


def on_postgres(home: Path, postgres: PostgresServer) -> str:
    """Move a data directory's SQLite database into a fresh PostgreSQL database (a logical
    copy, rowids and revisions kept, so its saved indexes stay current); returns its URL."""
    url = postgres.new_database()
    copy_database(f"sqlite:///{home / 'werkmatch.db'}", url)
    for path in home.glob("werkmatch.db*"):
        path.unlink()  # nothing may read the SQLite copy by mistake
    return url


@contextmanager
def serve_copy(
    source: Path,
    tmp_path_factory,
    model_dir: Path,
    embedder: Embedder,
    postgres: PostgresServer | None = None,
    **settings_args,
) -> Iterator[Live]:
    """A uvicorn server on a free loopback port over a copy of a data directory (its
    database on `postgres` when given), with the staff of `_staff` and a key for each."""
    home = tmp_path_factory.mktemp("api") / "home"
    shutil.copytree(source, home)
    if postgres is not None:
        settings_args["database_url"] = on_postgres(home, postgres)
    settings = Settings(home=home, model_dir=model_dir, **settings_args)
    matcher = Matcher(settings, embedder=embedder)
    users = _staff(matcher)
    keys = {
        name: matcher.store.ledger.create_key(user.role, "test", user.user_id).key
        for name, user in users.items()
    }
    app = create_app(settings, matcher)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", app, matcher, keys, users)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="package")
def live(
    ranked_home: tuple[Path, dict],
    tmp_path_factory,
    model_dir: Path,
    embedder: Embedder,
    postgres: PostgresServer | None,
) -> Iterator[Live]:
    """The API over HTTP with a trained champion ranker served, as in production (on
    PostgreSQL with `--store=postgresql`)."""
    with serve_copy(ranked_home[0], tmp_path_factory, model_dir, embedder, postgres) as server:
        yield server


def _staff(matcher: Matcher) -> dict[str, User]:
    """One user per role whose scope covers what the API tests touch (the werkcoach serves
    WZ-0000001's Werkplein; matchmaker and account manager the regions of VAC-000001 and of
    the factory's vacancies), and users outside those scopes for the need-to-know tests."""
    geo, store = geography(), matcher.store
    factory = geo.region_of(vacancy().postcode)
    home = geo.region_of(store.get(Kind.JOBSEEKERS, "WZ-0000001").postcode)
    regions = tuple(
        sorted({geo.region_of(store.get(Kind.VACANCIES, "VAC-000001").postcode), factory})
    )
    far = next(r for r in sorted(set(geo.region_codes)) if r not in regions)
    other = next(
        geo.region_of(js.postcode)
        for _, js in store.iter_records(Kind.JOBSEEKERS)
        if geo.region_of(js.postcode) != home
    )
    staff = {
        "werkcoach": store.directory.user(f"wc-{home}"),
        "werkcoach_other": store.directory.user(f"wc-{other}"),
        "werkcoach_alone": User("wc-alone", "Werkcoach zonder team", "werkcoach", None, ()),
        "matchmaker": User("mm-test", "Matchmaker", "matchmaker", werkplein(home), regions),
        "matchmaker_far": User("mm-far", "Matchmaker elders", "matchmaker", None, (far,)),
        "accountmanager": User("am-test", "Accountmanager", "accountmanager", None, regions),
        "accountmanager_far": User(
            "am-far", "Accountmanager elders", "accountmanager", None, (far,)
        ),
        "datascientist": User("ds-test", "Data scientist", "datascientist", None, ()),
        "admin": User("admin-test", "Admin", "admin", None, ()),
    }
    for user in staff.values():
        store.directory.put_user(user)
    return staff
