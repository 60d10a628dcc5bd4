"""ESCO occupations with Dutch labels and the ISCO-08 hierarchy they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import polars as pl

ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"


@dataclass(frozen=True)
class EscoOccupation:
    """One ESCO occupation."""

    uri: str
    isco: str  # ISCO-08 unit group, 4 digits
    label: str  # Dutch preferred label
    alt_labels: tuple[str, ...]
    description: str
    hidden_labels: tuple[str, ...] = ()  # misspellings and outdated forms: never shown


class Taxonomy:
    """ESCO occupations by URI and ISCO groups by code, with Dutch labels."""

    def __init__(self, occupations: pl.DataFrame, isco_groups: pl.DataFrame) -> None:
        self.occupations: dict[str, EscoOccupation] = {}
        for row in occupations.iter_rows(named=True):
            alts = _lines(row["altLabels"])
            self.occupations[row["conceptUri"]] = EscoOccupation(
                uri=row["conceptUri"],
                isco=row["iscoGroup"],
                label=row["preferredLabel"],
                alt_labels=alts,
                description=row["description"] or "",
                hidden_labels=_lines(row["hiddenLabels"]),
            )
        self.isco_labels: dict[str, str] = dict(
            zip(isco_groups["code"], isco_groups["preferredLabel"], strict=True)
        )

    def __contains__(self, uri: object) -> bool:
        return uri in self.occupations

    def __len__(self) -> int:
        return len(self.occupations)

    def get(self, uri: str) -> EscoOccupation | None:
        return self.occupations.get(uri)

    def isco_label(self, code: str) -> str | None:
        """Dutch label of an ISCO-08 group at any level (1 to 4 digits)."""
        return self.isco_labels.get(code)


def _lines(cell: str | None) -> tuple[str, ...]:
    """The non-empty lines of a multi-valued ESCO cell."""
    return tuple(a.strip() for a in (cell or "").split("\n") if a.strip())


def _read_csv(name: str, **kwargs) -> pl.DataFrame:
    with resources.as_file(resources.files("matching") / "data" / "esco" / name) as path:
        return pl.read_csv(path, **kwargs)


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The ESCO taxonomy shipped in `matching/data/esco` (loaded once)."""
    occupations = _read_csv(
        "occupations_nl.csv",
        columns=[
            "conceptUri",
            "iscoGroup",
            "preferredLabel",
            "altLabels",
            "hiddenLabels",
            "description",
        ],
        schema_overrides={"iscoGroup": pl.Utf8},
    ).with_columns(pl.col("iscoGroup").str.zfill(4))
    isco = _read_csv(
        "ISCOGroups_nl.csv", columns=["code", "preferredLabel"], schema_overrides={"code": pl.Utf8}
    )
    return Taxonomy(occupations, isco)
