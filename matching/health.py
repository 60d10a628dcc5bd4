"""What `/health` and `werkmatch health` report: model, store, indexes and ranker."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from matching.ranking import ranker_name
from matching.records import Kind
from matching.serving import Serving, SwitchStatus
from matching.store import Store
from matching.timing import stage
from models.registry import ServedRanker


@dataclass(frozen=True)
class ModelHealth:
    id: str
    version: str
    dim: int
    precision: str
    switch: dict[str, object]  # progress of an embedder switch (SwitchStatus.as_dict)


@dataclass(frozen=True)
class StoreHealth:
    backend: str
    records: dict[str, int]
    latency_ms: float


@dataclass(frozen=True)
class IndexHealth:
    vectors: int
    type: str
    revision: int
    bytes: int
    nprobe: int | None


@dataclass(frozen=True)
class RankerHealth:
    name: str
    version: str | None
    trained_on: str | None  # the embedding model whose similarities it learned


@dataclass(frozen=True)
class Health:
    """The service's state; no personal data."""

    status: str
    model: ModelHealth
    store: StoreHealth
    indexes: dict[str, IndexHealth]
    ranker: RankerHealth

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def collect_health(
    serving: Serving, store: Store, switch: SwitchStatus, ranker: ServedRanker | None
) -> Health:
    """Read the health of one serving snapshot and its store."""
    with stage() as took:
        counts = {k.value: store.count(k) for k in Kind}
    latency_ms = round(took.ms, 1)
    indexes = {}
    for kind in Kind:
        index = serving.indexer.index(kind)
        indexes[kind.value] = IndexHealth(
            vectors=len(index),
            type=index.meta.spec,
            revision=index.meta.revision,
            bytes=index.estimated_bytes(),
            nprobe=index.meta.nprobe,
        )
    embedder = serving.embedder
    return Health(
        status="ok",
        model=ModelHealth(
            serving.model_id,
            serving.ref.version,
            embedder.dim,
            embedder.precision,
            switch.as_dict(),
        ),
        store=StoreHealth(store.engine.dialect.name, counts, latency_ms),
        indexes=indexes,
        ranker=RankerHealth(
            ranker_name(ranker),
            ranker.version if ranker else None,
            ranker.embedding_model if ranker else None,
        ),
    )
