"""The shortlist page's filter parser: any query string gives filters or a field's reason,
never another error; and the query string it writes asks for the same filters again."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from api.web.filters import K_CHOICES, ShortlistFilters
from matching.errors import InvalidInputError
from matching.geo import geography
from matching.records import Licence

NAMES = ("max_km", "min_uren", "rijbewijs", "rijbewijs_gekozen", "regio", "aantal", "doel")
values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "0", "1", "8,5", "300", "301", "-1", "nan", "inf", "1e3", "20", "50", "²", "٣"]
    ),
    st.sampled_from([lic.value for lic in Licence] + ["AM22", "AM99", "b"]),
)


@given(st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=10))
def test_any_query_gives_filters_or_a_reason(pairs):
    try:
        f = ShortlistFilters.parse(QueryParams(pairs))
    except InvalidInputError as exc:
        assert exc.field in NAMES and exc.reason
        return
    assert f.k in K_CHOICES
    assert f.max_km is None or 0 <= f.max_km <= 300
    assert f.min_hours is None or 1 <= f.min_hours <= 60
    assert set(f.regions) <= set(geography().region_names)


filters = st.builds(
    ShortlistFilters,
    max_km=st.one_of(st.none(), st.integers(0, 300).map(float)),
    min_hours=st.one_of(st.none(), st.integers(1, 60).map(float)),
    licences=st.one_of(
        st.none(), st.sets(st.sampled_from(list(Licence))).map(lambda s: tuple(sorted(s)))
    ),
    regions=st.sets(st.sampled_from(sorted(geography().region_names)), max_size=4).map(
        lambda s: tuple(sorted(s))
    ),
    k=st.sampled_from(K_CHOICES),
)


@given(filters, st.text(min_size=1, max_size=40))
def test_the_query_string_round_trips(f, purpose):
    params = QueryParams(f.query(purpose))
    assert ShortlistFilters.parse(params) == f and params["doel"] == purpose


@pytest.mark.parametrize("text", ["nan", "inf", "-inf"])
def test_not_a_finite_number_is_refused(text):
    with pytest.raises(InvalidInputError):
        ShortlistFilters.parse(QueryParams({"max_km": text}))
