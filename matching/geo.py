"""Dutch geography: PC4 postcode centroids, arbeidsmarktregio's and great-circle distance."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl

from matching.errors import InvalidInputError

EARTH_RADIUS_KM = 6371.0088


class UnknownPostcodeError(InvalidInputError):
    """A PC4 postcode that is not in the reference table."""

    field = "postcode"

    def __init__(self, postcode: str) -> None:
        super().__init__(f"unknown PC4 postcode {postcode!r}")
        self.postcode = postcode


class Geography:
    """PC4 -> centroid and arbeidsmarktregio, with vectorised distances."""

    def __init__(self, table: pl.DataFrame, regions: pl.DataFrame) -> None:
        self.table = table.sort("pc4")
        self.codes: list[str] = self.table["pc4"].to_list()
        self._row = {code: i for i, code in enumerate(self.codes)}
        self.lat = np.radians(self.table["lat"].to_numpy())
        self.lon = np.radians(self.table["lon"].to_numpy())
        self.region_codes = self.table["arbeidsmarktregio_code"].to_numpy()
        self.region_names: dict[str, str] = dict(
            zip(regions["arbeidsmarktregio_code"], regions["arbeidsmarktregio"], strict=True)
        )

    def __contains__(self, pc4: object) -> bool:
        return pc4 in self._row

    def row(self, pc4: str) -> int:
        """Row number of a PC4 in the table; raises UnknownPostcodeError."""
        try:
            return self._row[pc4]
        except KeyError:
            raise UnknownPostcodeError(pc4) from None

    def rows(self, pc4s: list[str]) -> np.ndarray:
        """Row numbers for many PC4s at once."""
        return np.fromiter((self.row(p) for p in pc4s), dtype=np.int64, count=len(pc4s))

    def region_of(self, pc4: str) -> str:
        """The arbeidsmarktregio code (e.g. 'AM18') of a PC4."""
        return str(self.region_codes[self.row(pc4)])

    def distance_km(self, origin: str, targets: list[str] | np.ndarray) -> np.ndarray:
        """Great-circle distances in km from one PC4 to many (rows or PC4 strings)."""
        rows = targets if isinstance(targets, np.ndarray) else self.rows(list(targets))
        return haversine_km(
            self.lat[self.row(origin)], self.lon[self.row(origin)], self.lat[rows], self.lon[rows]
        )


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in radians (broadcasts)."""
    dlat, dlon = lat2 - lat1, lon2 - lon1
    a = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@lru_cache(maxsize=1)
def geography() -> Geography:
    """The Dutch PC4 geography shipped in `matching/data/geo` (loaded once)."""
    base = resources.files("matching") / "data" / "geo"
    with resources.as_file(base / "nl_pc4.csv") as pc4_path:
        table = pl.read_csv(pc4_path, schema_overrides={"pc4": pl.Utf8})
    with resources.as_file(base / "nl_arbeidsmarktregios.csv") as reg_path:
        regions = pl.read_csv(reg_path)
    return Geography(table, regions)
