"""The demo world's generator parameters, in one place, fixed before anything is measured.

The world has a hidden truth that the records reveal only in part and with noise:
- a person's real skills: the profile lists some of them (some in other words); the CV text
  mentions most of them;
- the distance a person really accepts differs from the travel radius they state;
- years of experience, care for children and a vacancy's seniority appear only in free text;
- interactions: a missing licence matters for driving work only, hours short matter more
  for parents, experience matters more for senior vacancies;
- employers are biased against people of 45+ and people unemployed for over a year, both in
  whom they invite and whom they hire, and the training labels (invited / placed) carry it.

`DEFAULT` is the demo world. `WorldParams.perturbed` draws a second world for the transfer
check (weights and shares moved by up to +-30%). These values were written down before the
ranker of issue 13 was measured on them; changing them to flatter a model is not allowed
(see docs/design-notes.md, "Evaluation world").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

SHARES = frozenset(
    {
        "skill_listed",
        "skill_other_words",
        "skill_in_cv",
        "parent_share",
        "parent_in_cv",
        "years_in_cv",
        "senior_share",
        "senior_in_title",
        "senior_in_text",
    }
)


@dataclass(frozen=True)
class WorldParams:
    """What the records reveal, how suitability is made, and how employers behave."""

    # What the records reveal of the truth.
    skill_listed: float = 0.55  # share of a person's real skills the profile lists
    skill_other_words: float = 0.25  # of the listed skills, share written in other words
    skill_in_cv: float = 0.8  # share of real skills the CV text mentions
    travel_sigma: float = 0.35  # accepted distance = stated radius * lognormal(0, sigma)
    parent_share: float = 0.3  # people caring for children
    parent_in_cv: float = 0.7  # of them, share whose CV says so
    years_in_cv: float = 0.8  # share of CVs that state the years of experience
    senior_share: float = 0.25  # vacancies that need an experienced person
    senior_in_title: float = 0.5  # of them, share that say "Senior" in the title
    senior_in_text: float = 0.8  # of them, share that ask for years of experience in the text
    # Hidden suitability: weights of its terms.
    w_occupation: float = 1.0  # times occupation closeness (3 same ... 0.5 same sub-major)
    w_past: float = 0.6  # past job in the vacancy's ISCO unit group
    w_skills: float = 2.0  # times the share of required skills really held
    w_distance: float = 0.015  # per km
    w_beyond_accepted: float = 0.12  # per km beyond the distance really accepted
    w_education: float = 0.6  # per education level below the minimum
    w_hours_short: float = 0.05  # per hour short of the minimum
    parent_hours_factor: float = 3.0  # hours short weigh this much more for parents
    w_licence_driving: float = 3.0  # missing licence for driving work (ISCO 83)
    w_licence_other: float = 0.3  # missing licence elsewhere
    w_experience: float = 0.25  # per log2(1 + years) of experience
    senior_factor: float = 3.0  # experience weighs this much more for senior vacancies
    senior_min_years: int = 5  # fewer years on a senior vacancy costs w_junior_on_senior
    w_junior_on_senior: float = 1.0
    w_latent: float = 0.5  # a quality no record shows (normal, lower for long unemployed)
    latent_long_unemployed: float = -0.25
    grade_edges: tuple[float, float, float] = (1.5, 3.0, 4.5)  # suitability -> grade 1, 2, 3
    # Matchmakers and employers.
    perceived_noise: float = 1.0  # matchmakers see suitability with this much noise
    invite_at: float = 2.3  # suitability at which an employer invites half the time
    hire_at: float = 3.5  # suitability at which an invited person is hired half the time
    hire_slope: float = 2.0
    tension_effect: float = 0.3  # on the hire logit, per log of labour-market tension
    bias_age_45: float = 0.7  # employers' logit penalty for 45+ (invite and hire)
    bias_unemployed_12m: float = 0.8  # employers' logit penalty for > 12 months unemployed

    def perturbed(self, seed: int, spread: float = 0.3) -> WorldParams:
        """A related world: every parameter times a factor in [1 - spread, 1 + spread]."""
        rng = np.random.default_rng(seed)
        changes = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                continue  # relevance grades are how we judge, not how the world works
            factor = 1.0 + rng.uniform(-spread, spread)
            if isinstance(value, int):
                changes[f.name] = max(1, round(value * factor))
            elif f.name in SHARES:
                changes[f.name] = float(np.clip(value * factor, 0.05, 0.95))
            else:
                changes[f.name] = value * factor
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> WorldParams:
        known = {f.name for f in dataclasses.fields(cls)}
        given = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known}
        return cls(**given)


DEFAULT = WorldParams()
TRANSFER_SEED = 7  # the transfer world: DEFAULT.perturbed(TRANSFER_SEED), its own records


@dataclass(frozen=True)
class HistoryParams:
    """Unemployment histories of the demo world: a monthly chance of finding work, written
    down before the risk model of issue 16 was measured (not to be tuned to flatter it).

    Each person's spell starts `months_unemployed` months before the world's reference date
    (their record's phase on that date) and is followed for `follow_up_months` after it. Each
    month the person finds work with probability logistic(logit), where logit is the sum of
    `base_logit`, the duration term of their current phase, `w_chances` times their job chances
    (log-sum-exp of hidden suitability minus `WorldParams.hire_at` over open vacancies within
    60 km, standardised over the world), `w_tension` times log labour-market tension of their
    occupation group in their region, their regime's term, and the employers' bias of
    `WorldParams` (45+, > 12 months unemployed). A person the world's outcomes place is hired
    within `placed_within_months`. Base rates (docs/results.md, "Risk of long-term
    unemployment"): UWV/CBS WW outflow, a third to a half of entrants at work within 6 months
    and 20-30% still on benefit after 12 months; bijstand (WWB) and Wajong far lower.
    """

    stream: int = 16  # histories draw from default_rng([world seed, stream]): world streams kept
    follow_up_months: int = 12  # months followed after the reference date
    base_logit: float = -1.4  # set so new WW entrants match the base rates (no model fitted yet)
    phase_logit: tuple[float, float, float, float] = (0.0, -0.15, -0.35, -0.7)  # 0-3 ... > 12
    w_chances: float = 0.7  # per standard deviation of job chances
    w_tension: float = 0.3  # per log of tension (vacancies / short-term unemployed)
    regime_logit: tuple[tuple[str, float], ...] = (
        ("WW", 0.0),
        ("WWB", -0.7),  # bijstand: outflow to work about half of WW's
        ("Wajong", -1.2),  # arbeidsbeperking: lower still
        ("geen", 0.1),  # niet-uitkeringsgerechtigd (NUG), often short spells
    )
    via_vacancy: float = 0.35  # share of exits to work into a vacancy of the world (else elsewhere)
    placed_within_months: int = 3  # a placement in the world's outcomes starts within this

    def regime(self, benefit: str | None) -> float:
        return dict(self.regime_logit).get(benefit or "geen", 0.0)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


HISTORY = HistoryParams()
