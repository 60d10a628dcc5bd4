"""Shortlists: hard filters before retrieval, order, overrides, explanations."""

from __future__ import annotations

import datetime as dt
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import operations
from matching.candidates import CandidateTable
from matching.filters import Overrides, check_pairs
from matching.query import query_vector, remember_query_vectors
from matching.records import Kind, Licence
from matching.service import Matcher, NotFoundError
from matching.texts import record_text
from tests.factories import jobseeker, vacancy

TODAY = dt.date(2026, 11, 1)
TITLES = ["Heftruckchauffeur", "Verpleegkundige", "Kok", "Boekhouder"]


def test_filters_on_hand_made_pairs():
    v = vacancy(required_licences=["C"], hours_min=32)
    people = [
        jobseeker(id="A", licences=["CE"]),  # CE covers C; Rotterdam, close by
        jobseeker(id="B", licences=["B"]),  # no C
        jobseeker(id="C", licences=["C"], postcode="9711", max_travel_km=50),  # Groningen: far
        jobseeker(id="D", licences=["C"], hours_per_week=24),  # 8 hours short
        jobseeker(id="E", licences=["C"], hours_per_week=28),  # within 4 hours tolerance
        jobseeker(id="F", licences=["C"], available_from=TODAY + dt.timedelta(days=200)),
    ]
    checks = check_pairs([v] * len(people), people, today=TODAY)
    assert checks.passed.tolist() == [True, False, False, False, True, False]
    assert checks.missing_licences[1] == ["C"]
    assert checks.distance_km[2] > 150 and not checks.distance_ok[2]
    assert checks.same_region[0] and not checks.same_region[2]


def test_no_pairs_no_error():
    checks = check_pairs([], [])
    assert checks.passed.shape == (0,) and checks.failed_counts()["distance"] == 0


def test_vacancy_without_eligible_candidates_gives_empty_shortlist(matcher: Matcher):
    matcher.upsert([vacancy(postcode="9711")])
    matcher.upsert([jobseeker(max_travel_km=5)])
    result = matcher.shortlist("VAC-T1")
    assert result.items == [] and result.filtered_out["distance"] == 1


def test_overrides_tighten_distance_and_replace_licences():
    v = vacancy(required_licences=["C"])
    js = [jobseeker(id="A", licences=["B"], postcode="3000")]  # ~4 km from 3012
    assert not check_pairs([v], js, today=TODAY).passed[0]
    o = Overrides(required_licences=(Licence.B,))
    assert check_pairs([v], js, o, today=TODAY).passed[0]
    o = Overrides(required_licences=(), max_distance_km=1.0)
    assert not check_pairs([v], js, o, today=TODAY).passed[0]
    o = Overrides(required_licences=(), regions=("AM18",))
    assert not check_pairs([v], js, o, today=TODAY).passed[0]


def test_min_hours_override_replaces_the_vacancys_minimum():
    v = vacancy(required_licences=[], hours_min=32, hours_max=40)
    js = [jobseeker(id="A", hours_per_week=20, postcode="3000")]
    assert not check_pairs([v], js, today=TODAY).passed[0]
    assert check_pairs([v], js, Overrides(min_hours=16), today=TODAY).passed[0]
    assert not check_pairs([v], js, Overrides(min_hours=36), today=TODAY).passed[0]


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 10_000),
    st.sampled_from([None, 5.0, 30.0]),
    st.sampled_from([None, (), (Licence.B,), (Licence.CE,)]),
    st.sampled_from([None, 8.0, 32.0]),
)
def test_vectorised_eligibility_agrees_with_pair_checks(
    small_world, seed, max_km, licences, min_hours
):
    """The candidate table (before search) and check_pairs (explanations) never disagree."""
    from matching.records import Jobseeker, Vacancy
    from matching.store import _row_of

    rng = np.random.default_rng(seed)
    people = [Jobseeker.model_validate(r) for r in small_world.jobseekers.head(120).to_dicts()]
    vac = Vacancy.model_validate(small_world.vacancies.to_dicts()[int(rng.integers(80))])
    rows = [_row_of(p, dt.datetime.now(dt.UTC), {}) for p in people]
    table = CandidateTable()
    table.upsert(
        {
            k: np.array([r[k] for r in rows], dtype=object)
            if k == "postcode"
            else np.array([r[k] for r in rows])
            for k in rows[0]
        }
        | {"rowid": np.arange(len(rows))}
    )
    o = Overrides(max_distance_km=max_km, required_licences=licences, min_hours=min_hours)
    eligible = set(table.jobseekers_for(vac, o, today=TODAY).rowids.tolist())
    checks = check_pairs([vac] * len(people), people, o, today=TODAY)
    assert eligible == set(np.flatnonzero(checks.passed).tolist())


def test_shortlist_on_demo_world_respects_filters_and_order(world: Matcher):
    vid = world.store.ids(Kind.VACANCIES)[0]
    result = world.shortlist(vid, k=10)
    assert 0 < len(result.items) <= 10
    scores = [m.score for m in result.items]
    assert scores == sorted(scores, reverse=True)
    assert [m.rank for m in result.items] == list(range(1, len(result.items) + 1))
    v = world.get(Kind.VACANCIES, vid)
    for item in result.items:
        js = world.get(Kind.JOBSEEKERS, item.id)
        assert check_pairs([v], [js]).passed[0]
        assert item.distance_km <= js.max_travel_km + 0.1
        names = [c.name for c in item.criteria]
        assert names[:6] == ["inhoud", "functietitel", "vaardigheden", "beroep", "afstand", "regio"]
        assert abs(item.base + sum(c.contribution for c in item.criteria) - item.score) < 1e-6
        assert all(c.reason for c in item.criteria)
    assert result.passed_filters <= sum(world.store.count(k) for k in [Kind.JOBSEEKERS])
    assert set(result.filtered_out) >= {"licence", "distance", "hours", "availability"}


def test_shortlist_prefers_the_matching_occupation(matcher: Matcher):
    matcher.upsert([vacancy()])
    matcher.upsert(
        [
            jobseeker(
                id="WZ-KOK",
                desired_occupation="kok",
                skills=["HACCP", "koken"],
                cv_text="Ik ben kok in een restaurant en werk graag met verse producten.",
            ),
            jobseeker(id="WZ-HEF"),
            jobseeker(
                id="WZ-VER",
                desired_occupation="verpleegkundige",
                skills=["BIG-registratie"],
                cv_text="Verpleegkundige in een ziekenhuis, ervaren in de wondzorg.",
            ),
            jobseeker(id="WZ-FAR", postcode="9711", max_travel_km=10),  # fits, but lives far away
        ]
    )
    result = matcher.shortlist("VAC-T1", k=5)
    assert next(m.id for m in result.items) == "WZ-HEF"
    assert "WZ-FAR" not in {m.id for m in result.items}
    assert result.filtered_out["distance"] == 1
    d = next(c for c in result.items[0].criteria if c.name == "afstand")
    assert d.passed and "binnen de gewenste reisafstand van 25 km" in d.reason


def test_reverse_direction_lists_open_vacancies_only(matcher: Matcher):
    matcher.upsert(
        [
            vacancy(),
            vacancy(id="VAC-T2", status="closed"),
            vacancy(
                id="VAC-T3", title="Kok", description="Kok gezocht.", required_skills=["HACCP"]
            ),
        ]
    )
    matcher.upsert([jobseeker()])
    result = matcher.vacancies_for("WZ-T1", k=5)
    assert next(m.id for m in result.items) == "VAC-T1"
    assert "VAC-T2" not in {m.id for m in result.items}
    assert result.filtered_out["closed"] == 1


def test_unknown_ids_raise_not_found(matcher: Matcher):
    with pytest.raises(NotFoundError, match="not found"):
        matcher.shortlist("VAC-NOPE")
    with pytest.raises(NotFoundError):
        matcher.vacancies_for("WZ-NOPE")


def test_erased_jobseeker_never_appears_again(matcher: Matcher):
    matcher.upsert([vacancy()])
    matcher.upsert([jobseeker(), jobseeker(id="WZ-T2")])
    assert "WZ-T1" in {m.id for m in matcher.shortlist("VAC-T1").items}
    matcher.delete(Kind.JOBSEEKERS, "WZ-T1")
    assert {m.id for m in matcher.shortlist("VAC-T1").items} == {"WZ-T2"}


@pytest.mark.parametrize("slots", [1, 3])
def test_no_more_queries_compute_at_once_than_the_process_has_slots(
    settings, embedder, monkeypatch, slots: int
):
    """Shortlists, reverse searches and fit checks asked by 12 threads at once."""
    m = Matcher(settings.model_copy(update={"query_slots": slots}), embedder=embedder)
    m.upsert([vacancy()])
    m.upsert([jobseeker()])
    running, most, lock = [0], [0], threading.Lock()

    def counted(real):
        def call(*args, **kwargs):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)  # long enough for the other threads to arrive
            try:
                return real(*args, **kwargs)
            finally:
                with lock:
                    running[0] -= 1

        return call

    monkeypatch.setattr(operations, "shortlist", counted(operations.shortlist))
    monkeypatch.setattr(operations, "fit_check", counted(operations.fit_check))
    asks = [
        lambda: m.shortlist("VAC-T1"),
        lambda: m.vacancies_for("WZ-T1"),
        lambda: m.fit_check("VAC-T1", "WZ-T1"),
    ]
    threads = [threading.Thread(target=asks[i % 3]) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == slots


def test_a_context_asks_the_store_for_each_query_text_once(matcher: Matcher, monkeypatch):
    """Training asks each query's vector twice (search, then its labelled pairs); the context
    keeps it by text, so a changed text is encoded again and a new context asks again."""
    matcher.upsert([vacancy()])
    matcher.upsert([jobseeker()])
    record = matcher.get(Kind.VACANCIES, "VAC-T1")
    indexer = matcher.serving.indexer
    asked = []
    real = indexer.query_vector
    monkeypatch.setattr(indexer, "query_vector", lambda *a: asked.append(a[1]) or real(*a))
    ctx = matcher.context()
    first = query_vector(ctx, record)
    assert np.array_equal(query_vector(ctx, record), first) and len(asked) == 1
    assert np.array_equal(first, real(Kind.VACANCIES, asked[0], record_text(record)))
    matcher.upsert([vacancy(title="Verpleegkundige")])
    changed = matcher.get(Kind.VACANCIES, "VAC-T1")
    assert not np.allclose(query_vector(ctx, changed), first) and len(asked) == 2
    query_vector(matcher.context(), record)
    assert len(asked) == 3


def test_query_vectors_of_many_records_are_encoded_in_one_batch_and_stored(
    matcher: Matcher, monkeypatch
):
    rowids = matcher.upsert([vacancy(id=f"VAC-{i}", title=t) for i, t in enumerate(TITLES)])
    records = [matcher.get(Kind.VACANCIES, f"VAC-{i}") for i in range(len(TITLES))]
    alone = [query_vector(matcher.context(), r) for r in records[:1]]  # stored by a shortlist
    encoded = []
    real = matcher.serving.embedder.encode
    monkeypatch.setattr(
        matcher.serving.embedder,
        "encode",
        lambda texts, *a: encoded.append(texts) or real(texts, *a),
    )
    ctx = matcher.context()
    remember_query_vectors(ctx, records)
    assert encoded == [[record_text(r) for r in records[1:]]]  # the stored one is read
    got = [query_vector(ctx, r) for r in records]
    assert len(encoded) == 1 and np.array_equal(got[0], alone[0])
    for record, vector in zip(records[1:], got[1:], strict=True):
        single = real([record_text(record)], "query")[0]
        assert float(vector @ single) > 0.9999  # a batch moves bf16's last digits only
    remember_query_vectors(ctx, [vacancy(id="VAC-NOT-STORED")])  # left out, nothing asked
    assert len(encoded) == 1 and len(ctx.query_vectors) == len(records)
    matcher.store.vectors.drop_model(matcher.serving.model_id)  # none stored: one asked twice
    texts = [record_text(records[0])] * 2
    twice = matcher.serving.indexer.query_vectors(Kind.VACANCIES, [rowids[0]] * 2, texts)
    assert encoded[1] == texts[:1] and np.array_equal(twice[0], twice[1])
    matcher.serving.indexer.catch_up(Kind.VACANCIES)  # the passage vectors back
    encoded.clear()
    again = matcher.context()
    remember_query_vectors(again, records)
    assert encoded == [[record_text(r) for r in records[1:]]]  # the dropped ones, again
    assert all(np.array_equal(query_vector(again, r), g) for r, g in zip(records, got, strict=True))
