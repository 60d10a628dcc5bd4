"""One settings object for werkmatch: environment variables with the `WERKMATCH_` prefix."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EMBEDDING_MODEL_NAME = "multilingual-e5-small"


class Settings(BaseSettings):
    """Where werkmatch keeps its data and how it searches; defaults work out of the box."""

    model_config = SettingsConfigDict(env_prefix="WERKMATCH_", extra="ignore")

    home: Path = Field(default=Path("var"), description="data directory")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite")
    model_dir: Path | None = Field(default=None, description="SentenceTransformer folder")
    index_dir: Path | None = None
    mlflow_uri: str | None = None
    exact_index_max: int = Field(default=50_000, ge=1, description="exact search up to this size")
    ann_nprobe: int = Field(default=32, ge=1, description="IVF cells probed, until tuned")
    ann_recall_target: float = Field(
        default=0.95, gt=0, le=1, description="recall@100 against exact that nprobe is tuned for"
    )
    index_spec: str | None = Field(
        default=None,
        description="FAISS factory string above exact_index_max, e.g. IVF4096,SQfp16",
    )
    index_shards: int = Field(
        default=1,
        ge=1,
        le=256,
        description="shards per vector index (by rowid), searched in parallel and merged",
    )
    retrieve_n: int = Field(default=500, ge=1, le=10_000, description="candidates per query")
    query_slots: int = Field(
        default=1,
        ge=1,
        le=64,
        description="matching queries (shortlists, fit checks) one process computes at once; "
        "the others wait their turn. Python runs one thread at a time, so more only contend "
        "for it (see docs/results.md); run more processes (`serve --workers`) instead",
    )
    embed_batch_size: int = Field(default=16, ge=1, le=1024)
    ingest_batch: int = Field(
        default=1000, ge=1, le=100_000, description="rows stored per transaction in bulk ingest"
    )
    follow_embedder_champion: bool = Field(
        default=True,
        description="switch to the registry's champion embedder on start and reload; "
        "false pins the embedder that serves now",
    )
    follow_seconds: float = Field(
        default=0.5,
        ge=0,
        le=3600,
        description="how often `werkmatch serve` applies other replicas' writes to its "
        "indexes (0: never; one replica)",
    )
    registry_seconds: float = Field(
        default=10.0,
        gt=0,
        le=86_400,
        description="how often `werkmatch serve` re-reads the model registry (a ranker or "
        "embedder promoted on another replica)",
    )
    static_first_run: bool = Field(
        default=True,
        description="on the first set-up of an empty data directory, serve a static model "
        "distilled over the demo world's vocabulary at once, while e5 embeds in the background",
    )
    ranker_follows_embedder: bool = Field(
        default=True,
        description="after an embedder switch, retrain a champion ranker that was trained on "
        "another model's similarities (promoted only if it wins on validation)",
    )
    embed_precision: Literal["auto", "fp32", "bf16"] = Field(
        default="auto", description="bf16 matrix products where the CPU has native bf16"
    )
    torch_threads: int = Field(default=max(1, min(os.cpu_count() or 1, 4)), ge=1)
    secure_cookies: bool | None = Field(
        default=None,
        description="Secure flag on the workspace's cookies; unset: when the request is HTTPS",
    )
    risk_group_from: float = Field(
        default=0.35,
        gt=0,
        lt=1,
        description="risk of still unemployed in 12 months from which "
        "a jobseeker is served in groups (below: digitaal)",
    )
    risk_intensive_from: float = Field(
        default=0.6,
        gt=0,
        lt=1,
        description="risk from which service is intensief",
    )
    indicator_min_cell: int = Field(
        default=10,
        ge=1,
        description="indicator cells counting fewer people are suppressed",
    )

    @model_validator(mode="after")
    def _ordered_risk_thresholds(self) -> Settings:
        if self.risk_group_from >= self.risk_intensive_from:
            raise ValueError("risk_group_from must be below risk_intensive_from")
        return self

    @field_validator("index_spec")
    @classmethod
    def _removable_index(cls, value: str | None) -> str | None:
        from matching.vector_index import SUPPORTED_SPEC

        if value is not None and not SUPPORTED_SPEC.match(value):
            raise ValueError(
                f"{value!r}: use IVF<n>,<Flat|SQ8|SQfp16|SQ4|PQ<m>> (indexes must support "
                "deleting vectors; HNSW does not)"
            )
        return value

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'werkmatch.db'}"

    @property
    def embedding_model_dir(self) -> Path:
        return self.model_dir or self.home / "models" / EMBEDDING_MODEL_NAME

    @property
    def cache_dir(self) -> Path:
        """Derived data kept per embedding model (ESCO label vectors), beside the base model."""
        return self.embedding_model_dir.parent / "cache"

    @property
    def indexes_dir(self) -> Path:
        return self.index_dir or self.home / "index"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_uri or f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def ensure_dirs(self) -> None:
        """Create the data directory and its sub-folders."""
        for path in (self.home, self.indexes_dir, self.reports_dir, self.home / "models"):
            path.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
