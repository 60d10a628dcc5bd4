"""The transfer check: a ranker trained on one world, evaluated on a second world generated
with perturbed parameters (`demo.params.WorldParams.perturbed`), none of whose records it saw.

The second world lives in `<home>/transfer/` (its own store and indexes, the same embedding
model as the first) and is built once, then reused.
"""

from __future__ import annotations

import logging

from demo.load import load_demo
from demo.params import DEFAULT, TRANSFER_SEED
from eval.offline import evaluate
from matching.records import Kind
from matching.service import Matcher
from models.registry import ServedRanker

log = logging.getLogger("werkmatch")

JOBSEEKERS, VACANCIES = 2000, 600


def transfer_matcher(
    matcher: Matcher, jobseekers: int = JOBSEEKERS, vacancies: int = VACANCIES
) -> Matcher:
    """A matcher on the transfer world beside `matcher`'s data directory (built if empty)."""
    s = matcher.settings
    settings = s.model_copy(
        update={
            "home": s.home / "transfer",
            "database_url": None,
            "index_dir": None,
            "mlflow_uri": None,
            "model_dir": s.embedding_model_dir,
            "follow_embedder_champion": False,
        }
    )
    other = Matcher(settings, embedder=matcher.serving.embedder)
    if other.store.count(Kind.JOBSEEKERS) == 0:
        params = DEFAULT.perturbed(TRANSFER_SEED)
        log.info("building the transfer world (%d jobseekers, %d vacancies)", jobseekers, vacancies)
        load_demo(other, jobseekers, vacancies, TRANSFER_SEED, progress=False, params=params)
    other.prepare(progress=False)
    return other


def evaluate_transfer(
    matcher: Matcher, ranker: ServedRanker | None, progress: bool = True, **sizes: int
) -> dict:
    """Both directions' figures of `ranker` on the transfer world (every record unseen);
    `sizes` (jobseekers=, vacancies=) matter only when the world is first built."""
    other = transfer_matcher(matcher, **sizes)
    ev = evaluate(other, ranker, split=None, progress=progress)
    return ev.forward.summary() | {
        "reverse": ev.reverse.summary(),
        "world": "perturbed",
        "seed": TRANSFER_SEED,
    }
