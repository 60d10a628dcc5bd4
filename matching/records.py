"""Jobseeker (werkzoekende) and vacancy (vacature) records and their validation."""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, NamedTuple, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from matching.geo import geography
from matching.taxonomy import taxonomy


class EducationLevel(StrEnum):
    """Dutch education levels, from basisonderwijs to wo."""

    BASISONDERWIJS = "basisonderwijs"
    VMBO = "vmbo"
    HAVO = "havo"
    VWO = "vwo"
    MBO1 = "mbo1"
    MBO2 = "mbo2"
    MBO3 = "mbo3"
    MBO4 = "mbo4"
    HBO = "hbo"
    WO = "wo"


# Level on the Dutch qualification framework (NLQF), used to compare education.
EDUCATION_RANK: dict[EducationLevel, int] = {
    EducationLevel.BASISONDERWIJS: 0,
    EducationLevel.MBO1: 1,
    EducationLevel.VMBO: 2,
    EducationLevel.MBO2: 2,
    EducationLevel.MBO3: 3,
    EducationLevel.HAVO: 4,
    EducationLevel.MBO4: 4,
    EducationLevel.VWO: 4,
    EducationLevel.HBO: 6,
    EducationLevel.WO: 7,
}


class Licence(StrEnum):
    """EU driving-licence categories (plus T for tractors, as in the Netherlands)."""

    AM = "AM"
    A1 = "A1"
    A2 = "A2"
    A = "A"
    B = "B"
    BE = "BE"
    C1 = "C1"
    C1E = "C1E"
    C = "C"
    CE = "CE"
    D1 = "D1"
    D1E = "D1E"
    D = "D"
    DE = "DE"
    T = "T"


# What holding a category also entitles one to drive (EU directive 2006/126/EC).
LICENCE_IMPLIES: dict[Licence, frozenset[Licence]] = {
    Licence.A: frozenset({Licence.A2, Licence.A1, Licence.AM}),
    Licence.A2: frozenset({Licence.A1, Licence.AM}),
    Licence.A1: frozenset({Licence.AM}),
    Licence.B: frozenset({Licence.AM}),
    Licence.C: frozenset({Licence.C1}),
    Licence.CE: frozenset({Licence.C, Licence.C1, Licence.C1E, Licence.BE}),
    Licence.C1E: frozenset({Licence.BE}),
    Licence.D: frozenset({Licence.D1}),
    Licence.DE: frozenset({Licence.D, Licence.D1, Licence.D1E, Licence.BE}),
    Licence.D1E: frozenset({Licence.BE}),
}


def licence_closure(held: set[Licence] | list[Licence]) -> frozenset[Licence]:
    """All categories covered by the licences held."""
    out = set(held)
    for lic in held:
        out |= LICENCE_IMPLIES.get(lic, frozenset())
    return frozenset(out)


LICENCE_BIT: dict[Licence, int] = {lic: 1 << i for i, lic in enumerate(Licence)}


def licence_mask(licences: Iterable[Licence | str]) -> int:
    """Bit mask of licence categories (use `licence_closure` first for what is covered)."""
    mask = 0
    for lic in licences:
        mask |= LICENCE_BIT[Licence(lic)]
    return mask


class Benefit(StrEnum):
    """Benefit regime of a jobseeker."""

    WW = "WW"
    WWB = "WWB"
    WAJONG = "Wajong"
    GEEN = "geen"


_BENEFIT_ALIASES = {"bijstand": "WWB", "participatiewet": "WWB", "none": "geen", "": "geen"}
_BENEFIT_KEYS = {m.value.lower(): m.value for m in Benefit} | _BENEFIT_ALIASES


class AgeBand(StrEnum):
    """Age band, only if the jobseeker gave it. Never used to rank."""

    UNDER_27 = "15-26"
    FROM_27 = "27-44"
    FROM_45 = "45-54"
    FROM_55 = "55-67"


class ContractType(StrEnum):
    VAST = "vast"
    TIJDELIJK = "tijdelijk"
    UITZEND = "uitzend"
    OPROEP = "oproep"
    LEERWERK = "leerwerk"


class VacancyStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def _split_list(value: Any, pattern: str) -> Any:
    if isinstance(value, str):
        return [part for part in re.split(pattern, value) if part.strip()]
    return value


def _dedupe(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        if v.casefold() not in seen:
            seen.add(v.casefold())
            out.append(v)
    return out


def _check_pc4(value: str) -> str:
    if value not in geography():
        raise ValueError(f"unknown PC4 postcode {value!r} (expected 4 digits of a Dutch postcode)")
    return value


def _check_esco(value: str | None) -> str | None:
    if value is not None and value not in taxonomy():
        raise ValueError(f"unknown ESCO occupation URI {value!r}")
    return value


def _upper_licences(value: Any) -> Any:
    value = _split_list(value, r"[;,|\s]+")
    if isinstance(value, list):
        return [v.strip().upper() if isinstance(v, str) else v for v in value]
    return value


def _benefit(value: Any) -> Any:
    if isinstance(value, str):
        key = value.strip()
        return _BENEFIT_KEYS.get(key.lower(), value)
    return value


def _none_if_blank(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


RecordId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"),
]
Pc4 = Annotated[
    str,
    BeforeValidator(lambda v: str(v).strip() if isinstance(v, int | str) else v),
    StringConstraints(pattern=r"^[1-9][0-9]{3}$"),
    AfterValidator(_check_pc4),
]
EscoUri = Annotated[str | None, BeforeValidator(_none_if_blank), AfterValidator(_check_esco)]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Skills = Annotated[
    list[Skill],
    BeforeValidator(lambda v: _split_list(v, r"[;|\n]")),
    AfterValidator(_dedupe),
    Field(max_length=100),
]
Licences = Annotated[
    list[Licence], BeforeValidator(_upper_licences), AfterValidator(lambda v: sorted(set(v)))
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]


def _no_nul(value: Any) -> Any:
    """Refuse NUL characters in text (PostgreSQL cannot store them; no real text has one)."""
    texts = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(t, str) and "\x00" in t for t in texts):
        raise ValueError("text must not contain NUL characters (\\u0000)")
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    _text_without_nul = field_validator("*", mode="before")(_no_nul)


class Jobseeker(_Record):
    """A werkzoekende: CV text and profile."""

    id: RecordId
    cv_text: LongText = ""
    desired_occupation: ShortText
    desired_esco_uri: EscoUri = None
    skills: Skills = []
    education: EducationLevel
    licences: Licences = []
    postcode: Pc4
    max_travel_km: float = Field(default=25.0, ge=0, le=300)
    hours_per_week: float = Field(ge=1, le=60, description="hours per week wanted")
    available_from: dt.date | None = None
    months_unemployed: int = Field(default=0, ge=0, le=600)
    benefit: Annotated[Benefit, BeforeValidator(_benefit)] = Benefit.GEEN
    age_band: Annotated[AgeBand | None, BeforeValidator(_none_if_blank)] = Field(
        default=None, description="only if given; never used to rank"
    )


class Vacancy(_Record):
    """A vacature of an employer."""

    id: RecordId
    employer: ShortText
    title: ShortText
    description: LongText = ""
    esco_uri: EscoUri = None
    required_skills: Skills = []
    nice_skills: Skills = []
    min_education: Annotated[EducationLevel | None, BeforeValidator(_none_if_blank)] = None
    required_licences: Licences = []
    postcode: Pc4
    hours_min: float = Field(ge=1, le=60)
    hours_max: float = Field(ge=1, le=60)
    contract_type: ContractType = ContractType.TIJDELIJK
    status: VacancyStatus = VacancyStatus.OPEN
    posted_date: dt.date | None = None

    @model_validator(mode="after")
    def _hours_in_order(self) -> Vacancy:
        if self.hours_min > self.hours_max:
            raise ValueError(
                f"hours_min ({self.hours_min:g}) must not exceed hours_max ({self.hours_max:g})"
            )
        return self


class Kind(StrEnum):
    """The two record kinds."""

    JOBSEEKERS = "jobseekers"
    VACANCIES = "vacancies"


RECORD_CLASS: dict[Kind, type[Jobseeker] | type[Vacancy]] = {
    Kind.JOBSEEKERS: Jobseeker,
    Kind.VACANCIES: Vacancy,
}


def kind_of(record: Jobseeker | Vacancy) -> Kind:
    """The Kind of a record instance."""
    if isinstance(record, Jobseeker):
        return Kind.JOBSEEKERS
    if isinstance(record, Vacancy):
        return Kind.VACANCIES
    raise TypeError(f"not a record: {type(record).__name__}")


class Occupation(NamedTuple):
    """A record's resolved ESCO occupation: its URI (None: no match) and the confidence of
    the mapping (1.0 when the record names the URI itself, 0.0 when nothing matched)."""

    uri: str | None
    confidence: float


UNKNOWN_OCCUPATION = Occupation(None, 0.0)


R = TypeVar("R", Jobseeker, Vacancy)


def _plain(annotation: Any) -> Any:
    """The type under an annotation, without its validators and constraints."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _plain(typing.get_args(annotation)[0])
    if origin is list:
        return list[_plain(typing.get_args(annotation)[0])]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_plain(a) for a in typing.get_args(annotation))]  # noqa: UP007
    return annotation


@cache
def _stored_model(cls: type[BaseModel]) -> type[BaseModel]:
    """`cls` with plain field types: what the store's JSON is checked against on reading."""
    fields: dict[str, Any] = {
        name: (_plain(f.annotation), ... if f.is_required() else f.default)
        for name, f in cls.model_fields.items()
    }
    return create_model(f"Stored{cls.__name__}", __config__=ConfigDict(extra="forbid"), **fields)


def from_stored(cls: type[R], data: str | bytes | dict[str, Any]) -> R:
    """A record as the store holds it (JSON text or a dict).

    Only records that passed validation are stored, so reading checks types (enums, dates,
    numbers) in pydantic-core and skips the cleaning validators written in Python: 2.5x
    faster than `model_validate_json`, which matters for the 500 candidates of a shortlist.
    The twin has every field of `cls` with its default filled in, so its values become the
    record as they are (what `model_construct` does, without its per-field loop: 1 us
    instead of 6 per record; the record classes have no private attributes).
    """
    twin = _stored_model(cls)
    read = twin.model_validate if isinstance(data, dict) else twin.model_validate_json
    parsed = read(data)
    record = cls.__new__(cls)
    object.__setattr__(record, "__dict__", parsed.__dict__)
    object.__setattr__(record, "__pydantic_fields_set__", parsed.model_fields_set)
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


def describe_errors(exc: Exception) -> list[dict[str, str]]:
    """Turn a pydantic ValidationError into [{'field', 'reason'}] entries."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return [{"field": "", "reason": str(exc)}]
    out = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "record"
        reason = err["msg"].removeprefix("Value error, ")
        out.append({"field": field, "reason": reason})
    return out
