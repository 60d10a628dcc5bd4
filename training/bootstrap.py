"""Preparing a data directory for `werkmatch setup`: what `serve` needs, from nothing.

A first set-up of an empty directory serves in about two minutes: a static model distilled
from the base e5 over the demo world's and ESCO's vocabulary (seconds) embeds the world and
serves with a first ranker trained on its similarities; `serve` then embeds everything with
e5 in the background, swaps, and retrains the ranker on e5's similarities
(`retrain_stale_ranker`, promoted only if it wins on validation).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from demo.load import load_world, world_texts
from demo.world import generate
from matching.embedders import EmbedderRef, base_embedder
from matching.occupations import esco_labels
from matching.records import Kind
from matching.service import Matcher
from matching.timing import started
from models.registry import create_store_in_background

log = logging.getLogger("werkmatch")

FIRST_RUN_EMBEDDER = "first-run-static"
FIRST_RUN_DIMS = 256


@dataclass
class SetupSummary:
    """What set-up did: the demo world it loaded (None: the store had records), the static
    embedder it served first (None: e5 served from the start), and the first ranker it
    trained (None: one was promoted already, or none could be trained)."""

    demo: dict[str, object] | None = None
    first_embedder: dict[str, object] | None = None
    ranker: dict[str, object] | None = None
    risk: dict[str, object] | None = None  # the first risk model trained on the histories
    indexes: dict[str, object] = field(default_factory=dict)


def set_up(matcher: Matcher, jobseekers: int, vacancies: int, seed: int) -> SetupSummary:
    """Load the demo world into an empty store, embed and index what is pending, serve the
    registry's embedder (or, on a first run, the static one while e5 follows in `serve`),
    and train a first ranker (and risk model) when none is promoted and outcomes (histories)
    exist."""
    summary = SetupSummary()
    if not (matcher.store.count(Kind.JOBSEEKERS) or matcher.store.count(Kind.VACANCIES)):
        log.info("empty store: loading the demo world")
        took = started()
        world = generate(jobseekers, vacancies, seed=seed)
        generated = round(took.seconds, 1)
        create_store_in_background(matcher.settings.tracking_uri, matcher.settings.home)
        if matcher.settings.static_first_run:
            summary.first_embedder = serve_static_first(matcher, world_texts(world))
        summary.demo = {**load_world(matcher, world), "generate_s": generated}
    matcher.prepare()
    if summary.first_embedder is None:
        matcher.switcher.follow_target(progress=True)  # a promoted embedder serves from now on
    if matcher.ranker is None and matcher.store.ledger.outcome_rows():
        summary.ranker = _train_ranker(matcher, progress=True)
    if matcher.risk.served is None and matcher.store.history.count():
        summary.risk = _first_risk_model(matcher)
    summary.indexes = matcher.health().as_dict()["indexes"]
    return summary


def serve_static_first(matcher: Matcher, texts: list[str]) -> dict[str, object]:
    """Distil the base e5 over the pieces of `texts` and of the ESCO labels into the data
    directory and serve it (the store is empty, so the switch embeds nothing)."""
    from training.distill_embedder import distill_static, vocabulary_of

    took = started()
    base = base_embedder(matcher.settings)
    labels = esco_labels()[0]
    pieces = vocabulary_of(base.path, [*texts, *labels, *(t.lower() for t in labels)])
    out = matcher.settings.home / "models" / FIRST_RUN_EMBEDDER
    distill_static(base.path, out, pca_dims=FIRST_RUN_DIMS, keep_tokens=pieces)
    matcher.switcher.switch(EmbedderRef(FIRST_RUN_EMBEDDER, out), progress=False)
    log.info("serving %s first (%d pieces); serve embeds with e5 next", out.name, len(pieces))
    return {"embedder": FIRST_RUN_EMBEDDER, "pieces": len(pieces), "s": round(took.seconds, 1)}


def ranker_follows_switches(matcher: Matcher) -> Matcher:
    """Have every embedder switch of this matcher retrain a stale ranker afterwards."""
    matcher.switcher.on_switched = lambda: retrain_stale_ranker(matcher)
    return matcher


def retrain_stale_ranker(matcher: Matcher) -> dict[str, object] | None:
    """After an embedder switch: retrain a champion ranker trained on another model's
    similarities (None: none was stale, or the setting is off)."""
    champion = matcher.ranker
    stale = champion is not None and champion.embedding_model not in (
        None,
        matcher.serving.model_id,
    )
    if not (stale and matcher.settings.ranker_follows_embedder):
        return None
    log.info(
        "ranker v%s was trained on %s: retraining it", champion.version, champion.embedding_model
    )
    return _train_ranker(matcher, wins_ties=True)


def _train_ranker(
    matcher: Matcher, progress: bool = False, wins_ties: bool = False
) -> dict[str, object] | None:
    from training.train_ranker import SERVED_KINDS, train

    log.info("training a ranker on the outcomes")
    try:  # the served kind only: `werkmatch train` compares it with the others
        trained = train(matcher, progress=progress, kinds=SERVED_KINDS, wins_ties=wins_ties)
    except ValueError as exc:
        log.warning("no ranker trained (%s); shortlists keep their ranking", exc)
        return None
    brief = {k: trained[k] for k in ("version", "kind", "promoted")}
    return {"ranker": brief, "valid_ndcg@10": trained["valid_ndcg@10"][trained["kind"]]}


def _first_risk_model(matcher: Matcher) -> dict[str, object] | None:
    from training.train_risk import train_risk

    log.info("no risk model promoted yet: training one on the histories")
    try:
        trained = train_risk(matcher)
    except ValueError as exc:
        log.warning("no risk model trained (%s); GET /risk answers 409 until one is", exc)
        return None
    return {"version": trained["version"], "valid_brier": trained["valid"]["model"]["brier"]}
