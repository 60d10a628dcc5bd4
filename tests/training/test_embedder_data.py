"""Training pairs for the embedder: reproducible, hard negatives that are really negative, and
nothing of a held-out occupation in any pair."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from matching.lexical import clean_title, cleaned_title
from matching.occupations import esco_labels, label_vectors
from matching.taxonomy import taxonomy
from training.embedder_data import (
    build_pairs,
    description_opening,
    held_out_occupations,
)
from training.embedder_eval import held_out_set
from training.hard_negatives import neighbours


@pytest.fixture(scope="module")
def vectors(embedder, model_dir):
    _, owner = esco_labels()
    return label_vectors(embedder, model_dir.parent / "cache"), owner


@pytest.fixture(scope="module")
def data(vectors):
    return build_pairs(*vectors, seed=3)


def _titles_of(uris) -> set[str]:
    tax = taxonomy()
    return {
        clean_title(label) or label.lower()
        for u in uris
        for label in (
            tax.occupations[u].label,
            *tax.occupations[u].alt_labels,
            *tax.occupations[u].hidden_labels,
        )
    }


def test_pairs_are_reproducible_by_seed(vectors, data):
    again = build_pairs(*vectors, seed=3)
    assert again.digest() == data.digest() and again.held_out == data.held_out
    other = build_pairs(*vectors, seed=4)
    assert other.held_out != data.held_out and other.digest() != data.digest()


def test_held_out_share_and_stability():
    uris = list(taxonomy().occupations)
    held = held_out_occupations(uris, 0.1, seed=0)
    assert 0.07 < len(held) / len(uris) < 0.13
    assert held == held_out_occupations(list(reversed(uris)), 0.1, seed=0)


def test_no_held_out_occupation_appears_in_training(data):
    forbidden = _titles_of(data.held_out)
    descriptions = {
        description_opening(taxonomy().occupations[u].description) for u in data.held_out
    }
    for name, frame in data.pairs.items():
        for col in frame.columns:
            values = set(frame[col].to_list())
            assert not values & forbidden, (name, col, sorted(values & forbidden)[:3])
            assert not values & descriptions, (name, col)


def test_same_occupation_pairs_and_hard_negatives(data):
    tax = taxonomy()
    label_to = {}
    for occ in tax.occupations.values():
        for label in (occ.label, *occ.alt_labels, *occ.hidden_labels):
            label_to.setdefault(clean_title(label) or label.lower(), set()).add(occ.uri)
    frame = data.pairs["same_occupation"]
    assert frame.height > 10_000 and frame.columns == ["anchor", "positive", "negative"]
    for row in frame.iter_rows(named=True):
        anchor_occ, negative_occ = label_to[row["anchor"]], label_to[row["negative"]]
        assert anchor_occ & label_to[row["positive"]]  # same occupation
        assert not anchor_occ & negative_occ  # a different occupation ...
        assert not label_to[row["positive"]] & negative_occ
        units = {tax.occupations[u].isco for u in anchor_occ}
        assert not units & {tax.occupations[u].isco for u in negative_occ}  # ... other unit


def test_definitions_are_passages_and_unit_pairs_share_a_unit(data):
    tax = taxonomy()
    isco_of: dict[str, set[str]] = {}  # a few cleaned preferred labels are shared
    for o in tax.occupations.values():
        isco_of.setdefault(clean_title(o.label) or o.label.lower(), set()).add(o.isco)
    d = data.pairs["definition"]
    assert d.height > 2000 and d["positive"].str.len_chars().max() <= 310
    assert (d["positive"] != d["negative"]).all()
    u = data.pairs["same_isco_unit"]
    assert u.height > 1000
    assert all(isco_of[a] & isco_of[p] for a, p in u.head(300).iter_rows())


def test_outcome_pairs_skip_held_out_occupations(vectors, data):
    (held_uri, *_) = sorted(data.held_out)
    held = taxonomy().occupations[held_uri]
    kept = taxonomy().occupations[next(u for u in taxonomy().occupations if u not in data.held_out)]
    outcomes = pl.DataFrame(
        {
            "title": ["Heftruckchauffeur (m/v)", held.label, kept.label],
            "desired_occupation": ["vorkheftruckbestuurder", kept.label, held.alt_labels[0]],
            "vacancy_uri": [None, None, kept.uri],
            "jobseeker_uri": [None, None, held_uri],
        }
    )
    pairs = build_pairs(*vectors, seed=3, outcomes=outcomes).pairs["outcomes"]
    assert pairs.rows() == [("heftruckchauffeur", "vorkheftruckbestuurder")]


def test_held_out_sets_ask_for_unseen_occupations_split_in_two(data):
    test, validation = (
        held_out_set(data, split, max_queries=None) for split in ("test", "validation")
    )
    assert len(test.corpus) == len(taxonomy().occupations)
    asked = {
        split: {next(iter(s.qrels[q])) for q, _ in s.queries}
        for split, s in (("test", test), ("validation", validation))
    }
    assert asked["test"] and asked["validation"] and not asked["test"] & asked["validation"]
    assert asked["test"] | asked["validation"] <= data.held_out
    small = held_out_set(data, "validation", max_queries=50, max_corpus=300)
    relevant = {next(iter(small.qrels[q])) for q, _ in small.queries}
    assert len(small.queries) == 50 and len(small.corpus) == 300
    assert relevant <= {uri for uri, _ in small.corpus}


def test_noisy_forms_point_at_their_own_preferred_label_and_name_no_other(data):
    tax = taxonomy()
    occupations_of: dict[str, set[str]] = {}
    for occ in tax.occupations.values():
        for label in (occ.label, *occ.alt_labels, *occ.hidden_labels):
            occupations_of.setdefault(clean_title(label) or label.lower(), set()).add(occ.uri)
    frame = data.pairs["variants"]
    assert frame.height > 5_000 and frame.columns == ["anchor", "positive", "negative"]
    assert frame["anchor"].n_unique() == frame.height
    for anchor, positive, negative in frame.head(500).iter_rows():
        assert anchor not in occupations_of  # no ESCO label: it would name an occupation
        assert not occupations_of[positive] & occupations_of[negative]


def test_isco_group_pairs_lead_to_the_unit_group_label(data):
    tax = taxonomy()
    units_of: dict[str, set[str]] = {}
    for occ in tax.occupations.values():
        units_of.setdefault(clean_title(occ.label) or occ.label.lower(), set()).add(occ.isco)
    codes_of: dict[str, set[str]] = {}  # a few group labels repeat across levels
    for code, label in tax.isco_labels.items():
        codes_of.setdefault(cleaned_title(label), set()).add(code)
    frame = data.pairs["isco_group"]
    assert frame.height > 2000
    for anchor, positive, negative in frame.head(500).iter_rows():
        assert codes_of[positive] & units_of[anchor] and positive != negative


def test_neighbours_skip_own_unit_and_disallowed():
    centroids = np.eye(4, dtype=np.float32) + 0.1
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    isco = np.array(["1111", "1111", "2222", "3333"])
    allowed = np.array([True, True, True, False])
    near = neighbours(centroids, isco, allowed, k=1)
    assert near[:, 0].tolist() == [2, 2, 0, 0]


def test_placements_of_test_pairs_never_train_the_embedder(world):
    from matching.outcomes import pair_split
    from training.train_embedder import placed_pairs

    placed = [o for o in world.store.ledger.outcome_rows() if o["outcome"] == "placed"]
    kept = [o for o in placed if pair_split(o["vacancy_id"], o["jobseeker_id"]) != "test"]
    assert 0 < len(kept) < len(placed)
    assert placed_pairs(world.store).height == len(kept)
