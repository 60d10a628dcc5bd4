"""Risk of long-term unemployment, service segment and phase, per jobseeker.

The served risk model (MLflow alias `champion` of `werkmatch-risk`, trained by
`werkmatch train-risk`) gives P(still unemployed in 12 months) with an exact additive
explanation: `base + sum(contribution)` is the calibrated logit. Thresholds in the settings
turn the risk into a segment (digitaal / groepsgewijs / intensief); a werkcoach may override
it with a reason (human oversight), and the override counts until the next one. Nothing
here is stored: risks are computed when asked, so an erasure has only the history and the
overrides to remove.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from matching.config import Settings
from matching.errors import NotFoundError, NotTrainedError
from matching.history import Override, Segment
from matching.labour_market import PHASES, Market, unemployment_phase
from matching.records import Kind
from matching.risk_features import FEATURES, OpenVacancies, describe, feature_row
from matching.store import Store
from models.registry import ServedRisk, load_risk_champion


@dataclass(frozen=True)
class Contribution:
    """One feature's share of the logit, with its category and a Dutch reason."""

    feature: str
    value: str
    contribution: float
    reason: str


@dataclass
class Assessment:
    """A jobseeker's risk, explanation, segment (the override's if any) and phase."""

    jobseeker_id: str
    risk: float
    base: float
    contributions: list[Contribution]
    model_segment: Segment
    phase: int
    model_version: str
    override: Override | None = None
    as_of: dt.date = field(default_factory=dt.date.today)

    @property
    def segment(self) -> Segment:
        return self.override.segment if self.override else self.model_segment

    @property
    def phase_label(self) -> str:
        return PHASES[self.phase]


def segment_of(risk: float, settings: Settings) -> Segment:
    if risk >= settings.risk_intensive_from:
        return Segment.INTENSIEF
    return Segment.GROEPSGEWIJS if risk >= settings.risk_group_from else Segment.DIGITAAL


def reason(feature: str, value: str, contribution: float) -> str:
    """'Werkloos: 3-6 maanden: verhoogt het risico' (or verlaagt, or neutraal)."""
    effect = "verhoogt" if contribution > 1e-9 else "verlaagt" if contribution < -1e-9 else None
    text = describe(feature, value)
    return f"{text}: {effect} het risico" if effect else f"{text}: neutraal"


class RiskDesk:
    """Risks and segments of stored jobseekers, from the champion risk model."""

    def __init__(self, store: Store, settings: Settings, market: Callable[[], Market]) -> None:
        self.store, self.settings, self._market = store, settings, market
        self.served: ServedRisk | None = None
        self._lock = threading.Lock()

    def reload(self) -> ServedRisk | None:
        """Load the champion risk model (None: not trained yet)."""
        served = load_risk_champion(self.settings.tracking_uri, self.settings.home)
        with self._lock:
            self.served = served
        return served

    def features(self, jobseeker_ids: Sequence[str], as_of: dt.date) -> tuple[np.ndarray, list]:
        """(n, FEATURES) categories of stored jobseekers and their months unemployed;
        NotFoundError for an unknown id."""
        found = self.store.rowids(Kind.JOBSEEKERS, jobseeker_ids)
        rowids = {j: found.get(j) for j in jobseeker_ids}
        missing = [j for j, r in rowids.items() if r is None]
        if missing:
            raise NotFoundError.record(Kind.JOBSEEKERS.value, missing[0])
        records, occs = self.store.with_occupations(Kind.JOBSEEKERS, list(rowids.values()))
        market, vacancies = self._market(), OpenVacancies.load(self.store)
        rows = [
            feature_row(records[r], occs.get(r), market, vacancies, as_of) for r in rowids.values()
        ]
        months = [int(records[r].months_unemployed) for r in rowids.values()]
        return np.array(rows, dtype=object).reshape(len(rows), len(FEATURES)), months

    def assess(
        self, jobseeker_ids: Sequence[str], as_of: dt.date | None = None
    ) -> list[Assessment]:
        """Risk, explanation, segment and phase of each jobseeker (in the order given)."""
        served = self.served
        if served is None:
            raise NotTrainedError("no risk model is promoted yet: run `werkmatch train-risk`")
        ids, as_of = list(dict.fromkeys(jobseeker_ids)), as_of or dt.date.today()
        X, months = self.features(ids, as_of)
        base, contrib = served.model.contributions(X)
        logits = base + contrib.sum(axis=1)
        overrides = self.store.history.overrides_of(ids)
        out = []
        for i, j in enumerate(ids):
            risk = float(1 / (1 + np.exp(-logits[i])))
            parts = [
                Contribution(
                    f, str(X[i, k]), float(contrib[i, k]), reason(f, X[i, k], contrib[i, k])
                )
                for k, f in enumerate(FEATURES)
            ]
            out.append(
                Assessment(
                    j,
                    risk,
                    float(base),
                    parts,
                    segment_of(risk, self.settings),
                    int(unemployment_phase(months[i])),
                    served.version,
                    overrides.get(j),
                    as_of,
                )
            )
        return out

    def segments(self, jobseeker_ids: Sequence[str]) -> dict[str, dict]:
        """id -> segment, its source (model or werkcoach), risk and phase: for caseload views."""
        return {
            a.jobseeker_id: {
                "segment": a.segment.value,
                "source": "werkcoach" if a.override else "model",
                "risk": round(a.risk, 4),
                "phase": a.phase_label,
            }
            for a in self.assess(jobseeker_ids)
        }

    def override(
        self, jobseeker_id: str, segment: Segment, why: str, user_id: str | None, key_id: str
    ) -> Override:
        """A werkcoach sets the segment, with a reason (kept, shown in later reads)."""
        if self.store.rowid(Kind.JOBSEEKERS, jobseeker_id) is None:
            raise NotFoundError.record(Kind.JOBSEEKERS.value, jobseeker_id)
        return self.store.history.set_override(jobseeker_id, segment, why, user_id, key_id)
