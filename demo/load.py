"""Load a generated demo world into a data directory: records, outcomes, unemployment
histories and hidden truth."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from demo.history import generate_history
from demo.params import DEFAULT, HISTORY, WorldParams
from demo.staff import assign_caseloads
from demo.world import DemoWorld, generate
from matching.ingest import IngestReport
from matching.records import RECORD_CLASS, Kind
from matching.service import Matcher
from matching.texts import record_text
from matching.timing import started

log = logging.getLogger("werkmatch")


def truth_dir(home: Path) -> Path:
    """Where the demo world's hidden truth lives (never in the store)."""
    return home / "demo"


def load_demo(
    matcher: Matcher,
    jobseekers: int = 5000,
    vacancies: int = 1500,
    seed: int = 42,
    progress: bool = True,
    params: WorldParams = DEFAULT,
    embed: bool = True,
) -> dict[str, object]:
    """Generate a demo world and store it through the normal ingest path (`embed` false:
    vectors later, e.g. by `werkmatch setup`; the risk model needs none)."""
    took = started()
    world = generate(jobseekers, vacancies, seed=seed, progress=progress, params=params)
    generated = round(took.seconds, 1)
    return {**load_world(matcher, world, progress, embed), "generate_s": generated}


def load_world(
    matcher: Matcher, world: DemoWorld, progress: bool = True, embed: bool = True
) -> dict[str, object]:
    """Store a generated world: records through the ingest path (`embed` false: vectors
    later), outcomes, unemployment histories, caseloads, and the hidden truth beside the
    store."""
    took = started()
    reports = {}
    for kind, frame in ((Kind.VACANCIES, world.vacancies), (Kind.JOBSEEKERS, world.jobseekers)):
        report = IngestReport(kind=kind.value)
        matcher.ingest_rows(
            kind, frame.iter_rows(named=True), report, progress=progress, embed=embed
        )
        if report.errors:
            raise RuntimeError(f"demo world produced invalid {kind.value}: {report.errors[:3]}")
        reports[kind.value] = report.stored
    matcher.store.ledger.add_outcomes(
        {**row, "source": "demo"} for row in world.outcomes.iter_rows(named=True)
    )
    history = generate_history(world, world.seed)
    matcher.store.history.add_events(history.iter_rows(named=True), replace_source="demo")
    assign_caseloads(matcher.store)
    folder = truth_dir(matcher.settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    world.truth_jobseekers.write_parquet(folder / "truth_jobseekers.parquet")
    world.truth_vacancies.write_parquet(folder / "truth_vacancies.parquet")
    world.jobseekers.write_parquet(folder / "jobseekers.parquet")
    world.vacancies.write_parquet(folder / "vacancies.parquet")
    (folder / "params.json").write_text(json.dumps(world.params.as_dict(), indent=2))
    (folder / "history_params.json").write_text(json.dumps(HISTORY.as_dict(), indent=2))
    return {
        "jobseekers": reports["jobseekers"],
        "vacancies": reports["vacancies"],
        "outcomes": world.outcomes.height,
        "history_events": history.height,
        "load_s": round(took.seconds, 1),
    }


def world_texts(world: DemoWorld) -> list[str]:
    """The embedding texts of a world's records (vacancies, then jobseekers)."""
    texts = []
    for kind, frame in ((Kind.VACANCIES, world.vacancies), (Kind.JOBSEEKERS, world.jobseekers)):
        cls = RECORD_CLASS[kind]
        for row in frame.iter_rows(named=True):
            record = cls.model_validate({k: v for k, v in row.items() if v is not None})
            texts.append(record_text(record))
    return texts
