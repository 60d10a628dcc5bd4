"""Training pairs for the embedder: reproducible, hard negatives that are really negative, and
nothing of a held-out occupation in any pair."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from matching.lexical import clean_title
from matching.occupations import esco_labels, label_vectors
from matching.taxonomy import taxonomy
from training.embedder_data import (
    build_pairs,
    description_opening,
    held_out_occupations,
    held_out_set,
    neighbours,
)


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
        for label in (tax.occupations[u].label, *tax.occupations[u].alt_labels)
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
        for label in (occ.label, *occ.alt_labels):
            label_to.setdefault(clean_title(label) or label.lower(), set()).add(occ.uri)
    frame = data.pairs["same_occupation"]
    assert frame.height > 10_000 and frame.columns == ["anchor", "positive", "negative"]
    for row in frame.head(500).iter_rows(named=True):
        anchor_occ, negative_occ = label_to[row["anchor"]], label_to[row["negative"]]
        assert anchor_occ & label_to[row["positive"]]  # same occupation
        assert not anchor_occ & negative_occ  # a different occupation ...
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


def test_held_out_set_asks_for_unseen_occupations(data):
    held = held_out_set(data, max_queries=50)
    assert len(held.queries) == 50 and len(held.corpus) == len(taxonomy().occupations)
    for qid, _ in held.queries:
        (uri,) = held.qrels[qid]
        assert uri in data.held_out


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
