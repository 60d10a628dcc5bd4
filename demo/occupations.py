"""The demo economy's occupations: real ESCO occupations with duties, skills and shares."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import TfidfVectorizer

from demo import vocab as V
from matching.taxonomy import _read_csv, taxonomy

POOL_SIZE = 400


@dataclass(frozen=True)
class OccupationPool:
    """The occupations the demo economy uses, with what is drawn per occupation."""

    uris: list[str]
    isco: np.ndarray  # (n,) str
    labels: list[list[str]]  # preferred label first, then alt labels
    duties: list[str]
    skills: list[list[str]]
    popularity: np.ndarray  # jobseeker share per occupation
    demand: np.ndarray  # vacancy share per occupation
    other_words: dict[str, str]  # skill label -> an ESCO alternative label, where one exists


def _first_sentences(text: str, n: int = 2) -> str:
    parts = [p.strip() for p in text.replace("\n", " ").split(". ") if p.strip()]
    out = ". ".join(parts[:n])
    return out if out.endswith(".") else out + "."


@lru_cache(maxsize=1)
def _skill_groups() -> pl.DataFrame:
    return pl.concat(
        [
            _read_csv(f, columns=["preferredLabel", "altLabels", "description"])
            for f in ("skillGroups_nl.csv", "transversalSkillsCollection_nl.csv")
        ]
    ).unique(subset="preferredLabel", keep="first", maintain_order=True)


def _alternative_labels() -> dict[str, str]:
    """Skill label -> its first ESCO alternative label (the same skill in other words)."""
    rows = _skill_groups().drop_nulls("altLabels").select("preferredLabel", "altLabels")
    out = {}
    for label, alt in rows.iter_rows():
        first = alt.replace("\n", "|").split("|")[0].strip()
        if first and len(first) <= 80:
            out[label] = first
    return out


@lru_cache(maxsize=1)
def _skill_profiles() -> tuple[list[str], np.ndarray]:
    """Skill labels and an occupation x skill relevance matrix (TF-IDF of ESCO texts)."""
    tax = taxonomy()
    groups = _skill_groups()
    skill_texts = (
        groups.select(
            pl.concat_str(
                ["preferredLabel", "altLabels", "description"], separator=" ", ignore_nulls=True
            )
        )
        .to_series()
        .to_list()
    )
    occ_texts = [f"{o.label} {o.description}" for o in tax.occupations.values()]
    vec = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.2).fit(skill_texts + occ_texts)
    sim = (vec.transform(occ_texts) @ vec.transform(skill_texts).T).toarray()
    return groups["preferredLabel"].to_list(), sim


def occupation_pool(rng: np.random.Generator, size: int = POOL_SIZE) -> OccupationPool:
    """Draw the demo economy's occupations, stratified by ISCO major group."""
    tax = taxonomy()
    occs = [o for o in tax.occupations.values() if o.description and o.alt_labels]
    skill_labels, sim = _skill_profiles()
    index_of = {uri: i for i, uri in enumerate(tax.occupations)}
    chosen = []
    for major, share in V.MAJOR_GROUP_SHARE.items():
        group = [o for o in occs if o.isco.startswith(major)]
        k = min(len(group), max(1, round(share * size)))
        chosen += [group[i] for i in rng.choice(len(group), k, replace=False)]
    skills = []
    for o in chosen:
        top = np.argsort(-sim[index_of[o.uri]])[:10]
        own = [skill_labels[j] for j in top]
        certs = V.CERTIFICATES.get(o.isco, []) or V.CERTIFICATES.get(o.isco[:2], [])
        skills.append(certs + own)
    n = len(chosen)
    popularity = rng.zipf(1.6, n).astype(float)
    popularity = np.minimum(popularity, 40) / np.minimum(popularity, 40).sum()
    demand = popularity * rng.lognormal(0.0, 0.8, n)
    return OccupationPool(
        uris=[o.uri for o in chosen],
        isco=np.array([o.isco for o in chosen]),
        labels=[[o.label, *o.alt_labels] for o in chosen],
        duties=[_first_sentences(o.description) for o in chosen],
        skills=skills,
        popularity=popularity,
        demand=demand / demand.sum(),
        other_words=_alternative_labels(),
    )
