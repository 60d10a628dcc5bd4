"""Shared fixtures: the real embedding model (converted once), small demo worlds, matchers."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Two xdist workers share 2 cores: with OpenMP's default, a worker's idle torch threads spin
# for the next parallel region and take the core from the other worker's threads. Passive
# waiting (set before torch loads libgomp; server and Ray processes the tests start inherit
# it): SQLite pass 827 s -> 699 s with warm caches (2 cores, one run each).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from demo.world import DemoWorld, generate
from matching.config import EMBEDDING_MODEL_NAME, Settings
from matching.service import Matcher
from models.embedder import Embedder, ensure_model
from tests.postgres import PostgresServer

REPO = Path(__file__).resolve().parents[1]

SMALL_JOBSEEKERS, SMALL_VACANCIES = 300, 80


def built_once(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Path], Any]
) -> tuple[Path, Any]:
    """`build(home)` run once per test run, shared by every pytest-xdist worker and, when
    WERKMATCH_TEST_SHARED names a directory (`make test` sets one for both of its passes),
    by every pytest process given that directory.

    The first to ask builds under a file lock; the others wait and reuse its data directory
    and the (pickled) value `build` returned. What is built does not depend on `--store`
    (worlds are built on SQLite and copied into PostgreSQL). Users copy the home before
    writing.
    """
    root = factory.getbasetemp()
    if os.environ.get("WERKMATCH_TEST_SHARED"):
        root = Path(os.environ["WERKMATCH_TEST_SHARED"])
    elif os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's directory, above each worker's own
    home, done = root / f"shared-{name}" / "home", root / f"shared-{name}" / "built.pickle"
    with FileLock(str(root / f"shared-{name}.lock")):
        if not done.exists():
            shutil.rmtree(home.parent, ignore_errors=True)
            home.parent.mkdir(parents=True)
            value = build(home)
            done.write_bytes(pickle.dumps(value))
    return home, pickle.loads(done.read_bytes())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database the store contract and API suites run on (default sqlite)",
    )


@pytest.fixture(scope="session")
def store_backend(request: pytest.FixtureRequest) -> str:
    """The backend chosen with `--store`."""
    return request.config.getoption("--store")


@pytest.fixture(scope="session")
def postgres(store_backend: str) -> Iterator[PostgresServer | None]:
    """The session's PostgreSQL server with `--store=postgresql`, else None."""
    if store_backend != "postgresql":
        yield None
        return
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_url(postgres: PostgresServer | None, tmp_path: Path) -> str:
    """A fresh, empty database on the chosen backend."""
    return postgres.new_database() if postgres else f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The converted e5 model, shared by all tests (converted on first use)."""
    configured = os.environ.get("WERKMATCH_MODEL_DIR")
    path = Path(configured) if configured else REPO / "var" / "models" / EMBEDDING_MODEL_NAME
    return ensure_model(path)


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> Embedder:
    return Embedder(model_dir, batch_size=32)


@pytest.fixture
def settings(tmp_path: Path, model_dir: Path) -> Settings:
    """Settings on a fresh data directory."""
    return Settings(home=tmp_path / "home", model_dir=model_dir)


@pytest.fixture
def matcher(settings: Settings, embedder: Embedder) -> Matcher:
    """A matcher on an empty store."""
    return Matcher(settings, embedder=embedder)


@pytest.fixture(scope="session")
def small_world() -> DemoWorld:
    return generate(SMALL_JOBSEEKERS, SMALL_VACANCIES, seed=7, progress=False)


@pytest.fixture(scope="session")
def world_home(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, embedder: Embedder
) -> Path:
    """A data directory holding the small demo world, embedded and indexed (built once)."""
    from demo.load import load_demo

    def build(home: Path) -> None:
        m = Matcher(Settings(home=home, model_dir=model_dir), embedder=embedder)
        load_demo(m, SMALL_JOBSEEKERS, SMALL_VACANCIES, seed=7, progress=False)
        m.prepare(progress=False)

    return built_once(tmp_path_factory, "world", build)[0]


@pytest.fixture(scope="session")
def ranked_home(
    world_home: Path, tmp_path_factory: pytest.TempPathFactory, model_dir: Path, embedder: Embedder
) -> tuple[Path, dict]:
    """A copy of the small world with a trained champion ranker (built once): (home, the
    training summary). Copy it before writing; its registry is the original's."""
    from training.train_ranker import train

    def build(home: Path) -> dict:
        shutil.copytree(world_home, home)
        m = Matcher(Settings(home=home, model_dir=model_dir), embedder=embedder)
        m.prepare(progress=False)
        return train(m, progress=False, max_iter=60)

    return built_once(tmp_path_factory, "ranked", build)


@pytest.fixture
def world(world_home: Path, model_dir: Path, embedder: Embedder) -> Matcher:
    """A read-only matcher on the small demo world (do not write through it)."""
    return Matcher(Settings(home=world_home, model_dir=model_dir), embedder=embedder)


# A fine-tuning run of seconds: 5 steps of 8 pairs per dataset (outcome pairs included), the
# validation occupations scored every 2 steps and at the end, 100 of their labels against 300.
TINY_FINE_TUNE = dict(
    max_steps=5, batch_size=8, max_pairs=48, save_steps=2, held_out_queries=100, held_out_corpus=300
)


@pytest.fixture(scope="session")
def tuned_home(world_home: Path, tmp_path_factory: pytest.TempPathFactory, model_dir: Path):
    """A copy of the small world whose registry holds a tiny fine-tuned embedder (v1).

    Returns (home, summary of the run). Copy it before writing.
    """
    from training.train_embedder import FineTuneConfig, train_embedder

    def build(home: Path) -> dict:
        shutil.copytree(world_home, home)
        settings = Settings(home=home, model_dir=model_dir)
        config = FineTuneConfig(**TINY_FINE_TUNE)
        return train_embedder(settings, config, progress=False, fused=False)

    return built_once(tmp_path_factory, "tuned", build)


STATIC_DIMS = 32
STATIC_TEXTS = [  # three pairs: each text is closest to its neighbour in the list
    "kok in een restaurant",
    "koken in de keuken van een restaurant",
    "heftruckchauffeur in het magazijn",
    "magazijnmedewerker met heftruckcertificaat",
    "verpleegkundige in de ouderenzorg",
    "verzorgende in de ouderenzorg en thuiszorg",
]


@pytest.fixture(scope="session")
def tiny_static(model_dir: Path, embedder: Embedder, tmp_path_factory) -> Embedder:
    """A static model distilled from e5 over a tiny vocabulary (the real path, in seconds,
    built once): the pieces of STATIC_TEXTS and of the small demo world's texts."""
    from matching.records import RECORD_CLASS, Kind
    from matching.texts import record_text
    from training.distill_embedder import distill_static, vocabulary_of

    def build(out: Path) -> None:
        world = generate(SMALL_JOBSEEKERS, SMALL_VACANCIES, seed=7, progress=False)
        texts = list(STATIC_TEXTS)
        for kind, frame in ((Kind.JOBSEEKERS, world.jobseekers), (Kind.VACANCIES, world.vacancies)):
            cls = RECORD_CLASS[kind]
            texts += [
                record_text(cls.model_validate({k: v for k, v in r.items() if v is not None}))
                for r in frame.head(60).iter_rows(named=True)
            ]
        pieces = vocabulary_of(model_dir, texts)
        distill_static(model_dir, out, pca_dims=STATIC_DIMS, keep_tokens=pieces)

    return Embedder(built_once(tmp_path_factory, "static", build)[0], batch_size=8)


@pytest.fixture(scope="session")
def static_home(
    world_home: Path,
    tiny_static: Embedder,
    model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str]:
    """A copy of the small world whose registry holds the tiny static model as a version of
    the embedder (built once): (home, version). Tests that switch embedders copy it first."""
    from models.registry import EMBEDDER_EXPERIMENT, configure, register_embedder

    def build(home: Path) -> str:
        shutil.copytree(world_home, home)
        settings = Settings(home=home, model_dir=model_dir)
        mlflow = configure(settings.tracking_uri, home, EMBEDDER_EXPERIMENT)
        with mlflow.start_run(run_name="tiny-static") as run:
            mlflow.log_artifacts(str(tiny_static.model_dir), "embedder")
        return register_embedder(settings.tracking_uri, home, run.info.run_id, "embedder")

    return built_once(tmp_path_factory, "static-registered", build)
