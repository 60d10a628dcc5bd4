"""Preparing a data directory for `werkmatch setup`: what `serve` needs, from nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from demo.load import load_demo
from matching.records import Kind
from matching.service import Matcher

log = logging.getLogger("werkmatch")


@dataclass
class SetupSummary:
    """What set-up did: the demo world it loaded (None: the store had records) and the
    first ranker it trained (None: one was promoted already, or none could be trained)."""

    demo: dict[str, object] | None = None
    ranker: dict[str, object] | None = None
    risk: dict[str, object] | None = None
    indexes: dict[str, object] = field(default_factory=dict)


def set_up(matcher: Matcher, jobseekers: int, vacancies: int, seed: int) -> SetupSummary:
    """Load the demo world into an empty store, embed and index what is pending, serve the
    registry's embedder, and train a first ranker (and risk model) when none is promoted and
    outcomes (histories) exist."""
    summary = SetupSummary()
    if not (matcher.store.count(Kind.JOBSEEKERS) or matcher.store.count(Kind.VACANCIES)):
        log.info("empty store: loading the demo world")
        summary.demo = load_demo(matcher, jobseekers, vacancies, seed)
    matcher.prepare()
    matcher.switcher.follow_target(progress=True)  # a promoted embedder serves from now on
    if matcher.ranker is None and matcher.store.ledger.outcome_rows():
        summary.ranker = _first_ranker(matcher)
    if matcher.risk.served is None and matcher.store.history.count():
        summary.risk = _first_risk_model(matcher)
    summary.indexes = matcher.health().as_dict()["indexes"]
    return summary


def _first_ranker(matcher: Matcher) -> dict[str, object] | None:
    from training.train_ranker import train

    log.info("no ranker promoted yet: training one on the outcomes")
    try:
        trained = train(matcher)
    except ValueError as exc:
        log.warning("no ranker trained (%s); shortlists are ranked by cosine", exc)
        return None
    brief = {k: trained[k] for k in ("version", "kind")}
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
