"""Record validation: clear errors naming the field; property tests over inputs."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from matching.geo import geography
from matching.records import (
    EDUCATION_RANK,
    EducationLevel,
    Jobseeker,
    Licence,
    Vacancy,
    describe_errors,
    from_stored,
    licence_closure,
)
from tests.factories import FORKLIFT_URI, jobseeker, vacancy


def fields_of(exc: ValidationError) -> set[str]:
    return {e["field"] for e in describe_errors(exc)}


def test_valid_jobseeker_normalises_lists_and_enums():
    js = jobseeker(
        licences="ce; b", skills="VCA basis; vca basis | orderpicken", benefit="bijstand"
    )
    assert js.licences == [Licence.B, Licence.CE]
    assert js.skills == ["VCA basis", "orderpicken"]  # case-insensitive de-duplication
    assert js.benefit.value == "WWB"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("postcode", "0000", "should match pattern"),
        ("postcode", "1004", "unknown PC4 postcode"),
        ("postcode", "12345", "should match pattern"),
        ("education", "master", "Input should be"),
        ("licences", ["B", "Z"], "Input should be"),
        ("hours_per_week", 80, "less than or equal to 60"),
        ("max_travel_km", -1, "greater than or equal to 0"),
        ("months_unemployed", "lang", "valid integer"),
        ("desired_esco_uri", "http://data.europa.eu/esco/occupation/nope", "unknown ESCO"),
        ("id", "bad id with spaces", "should match pattern"),
        ("age_band", "30-40", "Input should be"),
        ("desired_occupation", "", "at least 1 character"),
    ],
)
def test_bad_jobseeker_field_is_named(field, value, reason):
    with pytest.raises(ValidationError) as err:
        jobseeker(**{field: value})
    details = describe_errors(err.value)
    assert any(d["field"].split(".")[0] == field and reason in d["reason"] for d in details), (
        details
    )


def test_unknown_field_is_refused():
    with pytest.raises(ValidationError) as err:
        jobseeker(shoe_size=44)
    assert "shoe_size" in fields_of(err.value)


def test_vacancy_hours_must_be_ordered():
    with pytest.raises(ValidationError) as err:
        vacancy(hours_min=40, hours_max=20)
    assert "hours_min (40) must not exceed hours_max (20)" in str(err.value)


def test_esco_uri_accepted_and_blank_is_none():
    assert jobseeker(desired_esco_uri=FORKLIFT_URI).desired_esco_uri == FORKLIFT_URI
    assert vacancy(esco_uri="  ").esco_uri is None


def test_licence_closure_follows_eu_rules():
    assert licence_closure([Licence.CE]) >= {Licence.C, Licence.C1, Licence.BE}
    assert Licence.D not in licence_closure([Licence.CE])
    assert licence_closure([Licence.A]) >= {Licence.A2, Licence.A1, Licence.AM}


def test_education_ranks_follow_nlqf():
    assert EDUCATION_RANK[EducationLevel.WO] > EDUCATION_RANK[EducationLevel.HBO]
    assert EDUCATION_RANK[EducationLevel.HBO] > EDUCATION_RANK[EducationLevel.MBO4]
    assert EDUCATION_RANK[EducationLevel.MBO1] < EDUCATION_RANK[EducationLevel.MBO2]


# ----------------------------------------------------------------- properties
PC4S = geography().codes


def texts(**bounds) -> st.SearchStrategy[str]:
    """Text a record may hold: any characters but NUL (refused: PostgreSQL cannot store it)
    and lone surrogates (no valid Unicode string: refused as `string_unicode`)."""
    return st.text(
        st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), **bounds
    )


valid_jobseekers = st.builds(
    dict,
    id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True),
    cv_text=texts(max_size=300),
    desired_occupation=texts(min_size=1, max_size=80).filter(lambda s: s.strip()),
    skills=st.lists(
        texts(min_size=1, max_size=30).filter(lambda s: s.strip() and not set(s) & set(";|\n")),
        max_size=8,
    ),
    education=st.sampled_from([e.value for e in EducationLevel]),
    licences=st.lists(st.sampled_from([lic.value for lic in Licence]), max_size=4),
    postcode=st.sampled_from(PC4S),
    max_travel_km=st.floats(0, 300),
    hours_per_week=st.floats(1, 60),
    months_unemployed=st.integers(0, 600),
)


@settings(max_examples=100, deadline=None)
@given(
    valid_jobseekers,
    st.sampled_from(["cv_text", "desired_occupation"]),
    texts(max_size=20),
    texts(max_size=20),
)
def test_a_nul_anywhere_in_a_text_is_refused_naming_its_field(data, field, before, after):
    with pytest.raises(ValidationError) as refused:
        Jobseeker.model_validate({**data, field: f"{before}\x00{after}"})
    assert [d["field"] for d in describe_errors(refused.value)] == [field]


@settings(max_examples=50, deadline=None)
@given(valid_jobseekers, st.sampled_from(["cv_text", "desired_occupation"]), texts(max_size=20))
def test_a_lone_surrogate_is_refused_naming_its_field(data, field, before):
    with pytest.raises(ValidationError) as refused:
        Jobseeker.model_validate({**data, field: f"{before}\ud800"})
    assert [d["field"] for d in describe_errors(refused.value)] == [field]


@settings(max_examples=150, deadline=None)
@given(valid_jobseekers)
def test_valid_jobseekers_round_trip_through_json(data):
    js = Jobseeker.model_validate(data)
    again = Jobseeker.model_validate_json(js.model_dump_json())
    assert again == js
    assert set(js.licences) <= licence_closure(js.licences)


@settings(max_examples=150, deadline=None)
@given(
    valid_jobseekers,
    st.one_of(st.none(), st.dates()),
    st.sampled_from(["WW", "WWB", "Wajong", "geen"]),
    st.sampled_from(["", "15-26", "55-67"]),
)
def test_stored_jobseekers_read_back_equal_and_typed(data, available, benefit, age_band):
    js = Jobseeker.model_validate(
        {**data, "available_from": available, "benefit": benefit, "age_band": age_band}
    )
    stored = js.model_dump_json()
    for raw in (stored, json.loads(stored)):  # JSON text or the dict of a JSON column
        again = from_stored(Jobseeker, raw)
        assert again == js and again.model_dump() == js.model_dump()
        with pytest.raises(ValidationError, match="frozen"):
            again.postcode = "1011"  # still a frozen record
        assert type(again.education) is EducationLevel and again.available_from == available
        assert all(type(lic) is Licence for lic in again.licences)


def test_stored_vacancies_read_back_equal_and_corrupt_rows_are_refused():
    v = vacancy(required_licences=["C"], min_education="mbo2", status="closed")
    assert from_stored(Vacancy, v.model_dump_json()) == v
    row = json.loads(v.model_dump_json())
    for field, value in [("min_education", "doctor"), ("hours_min", "veel"), ("spam", 1)]:
        with pytest.raises(ValidationError, match=field):
            from_stored(Vacancy, {**row, field: value})


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "employer",
                "title",
                "postcode",
                "hours_min",
                "hours_max",
                "required_licences",
                "min_education",
                "status",
                "posted_date",
                "extra",
            ]
        ),
        st.one_of(
            st.none(),
            st.integers(-5, 10_000),
            st.floats(allow_nan=True),
            st.text(max_size=30),
            st.lists(st.text(max_size=5), max_size=3),
        ),
    )
)
def test_arbitrary_vacancy_input_is_valid_or_names_fields(data):
    """Whatever comes in, validation either succeeds or names every offending field."""
    try:
        Vacancy.model_validate(data)
    except ValidationError as exc:
        for detail in describe_errors(exc):
            assert detail["reason"]
            assert detail["field"].split(".")[0] in set(data) | {
                "id",
                "employer",
                "title",
                "postcode",
                "hours_min",
                "hours_max",
                "record",
            }


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=8))
def test_postcode_parser_accepts_exactly_known_pc4(text):
    try:
        js = jobseeker(postcode=text)
    except ValidationError as exc:
        assert fields_of(exc) == {"postcode"}
        assert text.strip() not in geography()
    else:
        assert js.postcode == text.strip()
        assert js.postcode in geography()
