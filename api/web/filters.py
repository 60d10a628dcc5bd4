"""The shortlist page's filters, read from its query string: the API's overrides (distance,
licences, regions, hours) and the number of candidates, with Dutch field names."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from matching.errors import InvalidInputError
from matching.filters import Overrides
from matching.geo import geography
from matching.records import Licence, Vacancy

K_CHOICES = (10, 20, 50)


def _number(params: QueryParams, name: str, low: float, high: float) -> float | None:
    text = params.get(name, "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInputError(f"geen getal: {text[:20]!r}", name) from None
    if not low <= value <= high:
        raise InvalidInputError(f"tussen {low:g} en {high:g}", name)
    return value


@dataclass(frozen=True)
class ShortlistFilters:
    """What the matchmaker set: None (or the vacancy's own) where nothing was changed."""

    max_km: float | None = None
    min_hours: float | None = None
    licences: tuple[Licence, ...] | None = None  # None: the vacancy's required licences
    regions: tuple[str, ...] = ()
    k: int = 20

    @classmethod
    def parse(cls, params: QueryParams) -> ShortlistFilters:
        licences = None
        if params.get("rijbewijs_gekozen"):  # the form was sent: the boxes ticked, maybe none
            try:
                licences = tuple(sorted({Licence(v) for v in params.getlist("rijbewijs")}))
            except ValueError:
                raise InvalidInputError("onbekende rijbewijscategorie", "rijbewijs") from None
        regions = tuple(sorted(set(params.getlist("regio"))))
        unknown = [r for r in regions if r not in geography().region_names]
        if unknown:
            raise InvalidInputError(f"onbekende arbeidsmarktregio {unknown[0][:8]!r}", "regio")
        k = params.get("aantal", "20")
        if k not in {str(c) for c in K_CHOICES}:
            raise InvalidInputError(f"kies {', '.join(map(str, K_CHOICES))}", "aantal")
        return cls(
            max_km=_number(params, "max_km", 0, 300),
            min_hours=_number(params, "min_uren", 1, 60),
            licences=licences,
            regions=regions,
            k=int(k),
        )

    def overrides(self) -> Overrides:
        return Overrides(
            max_distance_km=self.max_km,
            required_licences=self.licences,
            regions=self.regions or None,
            min_hours=self.min_hours,
        )

    def licences_for(self, vacancy: Vacancy) -> set[str]:
        """The licences the form shows ticked."""
        chosen = vacancy.required_licences if self.licences is None else self.licences
        return {lic.value for lic in chosen}

    def query(self, purpose: str) -> str:
        """The query string that asks this shortlist again (for links and the way back)."""
        pairs: list[tuple[str, str]] = [("doel", purpose), ("aantal", str(self.k))]
        if self.max_km is not None:
            pairs.append(("max_km", f"{self.max_km:g}"))
        if self.min_hours is not None:
            pairs.append(("min_uren", f"{self.min_hours:g}"))
        if self.licences is not None:
            pairs += [("rijbewijs_gekozen", "1")] + [
                ("rijbewijs", lic.value) for lic in self.licences
            ]
        pairs += [("regio", r) for r in self.regions]
        return urlencode(pairs)
