"""Title sets from ESCO for occupations a trained part has never seen.

Occupations are split by a seeded hash of their URI: `test` (hash below 0.1: the same
occupations `werkmatch train-embedder` holds out), `validation` (0.1 to 0.2: the title
matcher's fusion weights and the choice of its second stage) and `train` (the rest).

A set's queries are half of the alternative and hidden labels (ESCO's misspellings and
outdated forms) of its occupations, drawn per form with a seeded coin (of a seeded sample of
the occupations, when asked for fewer). Its corpus is every Dutch ESCO occupation label
(preferred and alternative) and every ISCO group label, less any label that equals a query
after cleaning, so that no query is answered by its own text (the hard two thirds of real
title sets). A query's relevant documents are the labels of its occupation still in the
corpus (the preferred label and the forms not asked) and the label of its ISCO unit group:
as in real title sets, where an occupation's every label is a right answer. These choices
were fixed before the test occupations were measured. The taxonomy signal
(`OccupationIndex`) must not know the queries either: a set names them in `unknown_labels`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from matching.lexical import cleaned_title
from matching.taxonomy import taxonomy

Split = Literal["train", "validation", "test"]
TEST_SHARE, VALIDATION_SHARE = 0.1, 0.1
SPLIT_SEED = 0
QUERY_SHARE = 0.5  # of an occupation's forms asked; the rest stay in the corpus, relevant


def hash_unit(uri: str, seed: int) -> float:
    """A URI's seeded position in [0, 1): stable under reordering and across processes."""
    digest = hashlib.blake2b(f"{seed}:{uri}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def held_out_occupations(uris: list[str], share: float, seed: int) -> frozenset[str]:
    """The occupations whose seeded hash falls below `share`."""
    return frozenset(u for u in uris if hash_unit(u, seed) < share)


def split_of(uri: str, seed: int = SPLIT_SEED) -> Split:
    """Which title split an occupation belongs to."""
    u = hash_unit(uri, seed)
    if u < TEST_SHARE:
        return "test"
    return "validation" if u < TEST_SHARE + VALIDATION_SHARE else "train"


@dataclass
class TitleSet:
    """Queries, corpus and relevance judgements of one title benchmark."""

    name: str
    queries: list[tuple[str, str]]  # (qid, title)
    corpus: list[tuple[str, str]]  # (doc id, title)
    qrels: dict[str, set[str]]
    # label texts the taxonomy signal must not know (the queries, when they are ESCO labels)
    unknown_labels: frozenset[str] = frozenset()

    def exact(self) -> set[str]:
        """Queries whose cleaned text equals a corpus title's (answered by string match)."""
        titles = {cleaned_title(t) for _, t in self.corpus}
        return {qid for qid, t in self.queries if cleaned_title(t) in titles}

    def sample(self, n_queries: int, n_distractors: int, seed: int = 0) -> TitleSet:
        """A smaller set: `n_queries` queries, their relevant documents and `n_distractors`
        other corpus titles (seeded), for quick runs and tests."""
        rng = np.random.default_rng(seed)
        picked = sorted(rng.choice(len(self.queries), min(n_queries, len(self.queries)), False))
        queries = [self.queries[i] for i in picked]
        relevant = set().union(*(self.qrels[q] for q, _ in queries))
        others = [i for i, (d, _) in enumerate(self.corpus) if d not in relevant]
        extra = set(rng.choice(others, min(n_distractors, len(others)), replace=False).tolist())
        corpus = [c for i, c in enumerate(self.corpus) if c[0] in relevant or i in extra]
        qrels = {q: self.qrels[q] for q, _ in queries}
        return TitleSet(f"{self.name}-sample", queries, corpus, qrels, self.unknown_labels)


def corpus_labels() -> list[tuple[str, str, str]]:
    """(doc id, label, owner) of every occupation label and ISCO group label; the owner is
    the occupation's URI or `isco:CODE`."""
    tax = taxonomy()
    rows = []
    for i, occ in enumerate(tax.occupations.values()):
        for j, label in enumerate((occ.label, *occ.alt_labels)):
            rows.append((f"occ{i}.{j}", label, occ.uri))
    rows += [(f"isco{code}", label, f"isco:{code}") for code, label in tax.isco_labels.items()]
    return rows


def esco_title_set(
    split: Split, max_occupations: int | None = None, seed: int = SPLIT_SEED
) -> TitleSet:
    """The title set of one split's occupations, a seeded sample of `max_occupations` of
    them if given (see the module's docstring)."""
    tax = taxonomy()
    chosen = [
        (i, occ) for i, occ in enumerate(tax.occupations.values()) if split_of(occ.uri) == split
    ]
    if max_occupations is not None and len(chosen) > max_occupations:
        keep = np.random.default_rng(seed).choice(len(chosen), max_occupations, replace=False)
        chosen = [chosen[k] for k in sorted(keep)]
    rng = np.random.default_rng([seed, 18])
    candidates = []
    for i, occ in chosen:
        forms = dict.fromkeys(cleaned_title(t) for t in (*occ.alt_labels, *occ.hidden_labels))
        forms.pop(cleaned_title(occ.label), None)
        asked = [f for f in forms if rng.random() < QUERY_SHARE]
        candidates += [(f"q{i}.{j}", form, occ) for j, form in enumerate(asked)]
    asked = {form for _, form, _ in candidates}
    corpus = [(d, t, owner) for d, t, owner in corpus_labels() if cleaned_title(t) not in asked]
    docs_of: dict[str, list[str]] = {}
    for d, _, owner in corpus:
        docs_of.setdefault(owner, []).append(d)
    qrels = {
        qid: set(docs_of.get(occ.uri, [])) | set(docs_of.get(f"isco:{occ.isco}", []))
        for qid, _, occ in candidates
    }
    queries = [(qid, form) for qid, form, _ in candidates if qrels[qid]]
    return TitleSet(
        f"esco-{split}",
        queries,
        [(d, t) for d, t, _ in corpus],
        {q: qrels[q] for q, _ in queries},
        frozenset(asked),
    )
