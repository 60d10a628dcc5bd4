"""Lexical similarity: character n-gram TF-IDF fitted on the Dutch ESCO vocabulary."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from itertools import chain

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from matching.fifo import FifoCache
from matching.taxonomy import taxonomy

# Vacancy-title noise that says nothing about the occupation.
_NOISE = re.compile(
    r"(?i:\((?:m|v|x|f|d|h)(?:\s*/\s*(?:m|v|x|f|d|h))+\))"  # (m/v), (m/v/x)
    r"|(?i:\b\d{1,2}\s*(?:-|tot|à)\s*\d{1,2}\s*(?:uur|u)\b|\b\d{1,2}\s*(?:uur|u)\b)"  # 32-40 uur
    r"|(?i:\b(?:fulltime|parttime|full-time|part-time|medior|senior|junior|ervaren|allround)\b)"
    r"|\b(?i:regio|omgeving|te|in)\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*"  # regio Utrecht
    r"|\s+-\s+[A-Z][\w'-]+$",  # "- Zwolle"
)
_PUNCT = re.compile(r"[()\[\]|/,;:]+")


@lru_cache(maxsize=100_000)
def clean_title(title: str) -> str:
    """A job title without gender markers, hours, seniority and place names (lower case)."""
    text = _NOISE.sub(" ", title)
    text = re.sub(r"\s+", " ", _PUNCT.sub(" ", text)).strip().lower()
    if not text:  # everything looked like noise: keep the words that were there
        text = re.sub(r"\s+", " ", _PUNCT.sub(" ", title)).strip().lower()
    return text


def cleaned_title(title: str) -> str:
    """A title as the matcher compares it: `clean_title`, or the lower-cased title when
    cleaning leaves nothing (the one key for title texts in caches and held-out sets)."""
    return clean_title(title) or title.lower()


# The character n-gram model: scikit-learn's TfidfVectorizer with these settings.
CHAR_GRAMS = dict(
    analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2, lowercase=True
)


def vocabulary_texts() -> list[str]:
    """The texts the n-gram model is fitted on: ESCO's Dutch preferred and alternative labels."""
    labels = []
    for occ in taxonomy().occupations.values():
        labels.append(occ.label)
        labels.extend(occ.alt_labels)
    return labels


@lru_cache(maxsize=1)
def vectorizer() -> TfidfVectorizer:
    """char_wb 2-4-gram TF-IDF fitted on ESCO's Dutch occupation labels (fitted once)."""
    return fit_by_words(vocabulary_texts())


def fit_by_words(texts: list[str]) -> TfidfVectorizer:
    """`TfidfVectorizer(**CHAR_GRAMS, dtype=float32).fit(texts)`: the same vocabulary and
    weights, twice as quick (0.43 s against 0.85 s on ESCO's labels). char_wb n-grams never
    cross a space, so each distinct word is analysed once and a text has its words' n-grams."""
    vec = TfidfVectorizer(**CHAR_GRAMS, dtype=np.float32)
    analyse = vec.build_analyzer()
    distinct, text_words = _words_of(texts)
    ids: dict[str, int] = {}
    grams = [[ids.setdefault(g, len(ids)) for g in set(analyse(w))] for w in distinct]
    indptr = np.r_[0, np.cumsum([len(r) for r in grams])]
    indices = np.fromiter(chain.from_iterable(grams), np.int64, int(indptr[-1]))
    word_grams = sparse.csr_matrix(  # distinct words x n-grams: 1 where a word has one
        (np.ones(len(indices), np.float32), indices, indptr), shape=(len(grams), len(ids))
    )
    present = (text_words @ word_grams).tocsr()  # texts x n-grams, > 0 where a text has one
    df = np.bincount(present.indices, minlength=len(ids))
    kept = sorted(g for g, i in ids.items() if df[i] >= CHAR_GRAMS["min_df"])
    if not kept:  # as scikit-learn refuses it
        raise ValueError("no character n-gram occurs in two texts")
    vec.vocabulary_ = {g: i for i, g in enumerate(kept)}
    counts = present[:, np.array([ids[g] for g in kept])].astype(np.float32)
    vec.idf_ = TfidfTransformer(sublinear_tf=True).fit(counts).idf_  # its own idf of the df
    return vec


def _words_of(texts: list[str]) -> tuple[list[str], sparse.csr_matrix]:
    """The distinct lower-case words of texts (first seen first) and a texts x words matrix
    counting each word's occurrences, split as char_wb n-grams split them."""
    split = [t.lower().split() for t in texts]
    words = list(chain.from_iterable(split))
    column = {w: i for i, w in enumerate(dict.fromkeys(words))}
    indptr = np.r_[0, np.cumsum([len(ws) for ws in split])]
    flat = np.fromiter(map(column.__getitem__, words), np.int32, len(words))
    occurs = sparse.csr_matrix(
        (np.ones(len(flat), np.float32), flat, indptr), shape=(len(texts), len(column))
    )
    return list(column), occurs


_WORDS: FifoCache[str, tuple[np.ndarray, np.ndarray]] = FifoCache(300_000)  # word -> grams


def _word(word: str) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram columns and counts of one lower-case word (cached)."""
    found = _WORDS.get(word)
    if found is not None:
        return found
    vec = vectorizer()
    grams = [vec.vocabulary_.get(g) for g in vec.build_analyzer()(word)]
    cols, counts = np.unique(
        np.array([g for g in grams if g is not None], dtype=np.int32), return_counts=True
    )
    entry = (cols.astype(np.int32), counts.astype(np.float32))
    _WORDS[word] = entry
    return entry


def transform(texts: list[str]) -> sparse.csr_matrix:
    """TF-IDF rows of texts (CSR), as `vectorizer().transform(texts)` gives them, built fast.

    char_wb n-grams never cross a space, so a text's n-gram counts are the sum of its words'
    counts; each distinct word is analysed once and the weighting is done on whole arrays.
    """
    vec = vectorizer()
    shape = (len(texts), len(vec.vocabulary_))
    distinct, occurs = _words_of(texts)  # texts x distinct words: occurrences
    entries = [_word(w) for w in distinct]
    if not any(len(c) for c, _ in entries):
        return sparse.csr_matrix(shape, dtype=np.float32)
    grams = sparse.csr_matrix(  # distinct words x n-grams: counts
        (
            np.concatenate([n for _, n in entries]),
            np.concatenate([c for c, _ in entries]),
            np.r_[0, np.cumsum([len(c) for c, _ in entries])],
        ),
        shape=(len(entries), shape[1]),
    )
    m = (occurs @ grams).tocsr()  # one entry per (text, n-gram); columns left unsorted
    row = np.repeat(np.arange(len(texts)), np.diff(m.indptr))
    np.log(m.data, m.data)  # sublinear tf, idf and l2 norm as TfidfTransformer does them
    m.data += 1.0
    m.data *= vec.idf_[m.indices]
    m.data /= np.sqrt(np.bincount(row, m.data * m.data, minlength=len(texts)))[row]
    return m


_ROWS: FifoCache[str, tuple[np.ndarray, np.ndarray]] = FifoCache(50_000)  # text -> row


def remembered_rows(texts: list[str]) -> sparse.csr_matrix:
    """TF-IDF rows of texts that recur from query to query (occupation titles), each
    transformed once and then kept: 500 candidates' titles cost 0.5 ms instead of 3."""
    rows = {t: _ROWS.get(t) for t in dict.fromkeys(texts)}
    missing = [t for t, row in rows.items() if row is None]
    if missing:
        m = transform(missing)
        for i, t in enumerate(missing):
            lo, hi = m.indptr[i], m.indptr[i + 1]
            rows[t] = _ROWS[t] = (m.indices[lo:hi].copy(), m.data[lo:hi].copy())
    ordered = [rows[t] for t in texts]
    return sparse.csr_matrix(
        (
            np.concatenate([d for _, d in ordered]) if ordered else np.zeros(0, np.float32),
            np.concatenate([c for c, _ in ordered]) if ordered else np.zeros(0, np.int32),
            np.r_[0, np.cumsum([len(c) for c, _ in ordered])],
        ),
        shape=(len(texts), len(vectorizer().vocabulary_)),
    )


def pair_similarity(left: list[str], right: list[str], recurring: bool = False) -> np.ndarray:
    """Cosine similarity of left[i] and right[i] under the char n-gram model.

    Each distinct text is transformed once: a shortlist pairs one vacancy with many
    jobseekers, so one side is mostly a single text. `recurring`: the texts recur across
    queries (titles), so their rows are kept (`remembered_rows`).
    """
    if not left:
        return np.zeros(0, dtype=np.float32)
    left_texts, li = _distinct(left)
    right_texts, ri = _distinct(right)
    rows = remembered_rows if recurring else transform
    a, b = rows(left_texts), rows(right_texts)
    if len(left_texts) == 1:
        return (b @ a.toarray()[0]).astype(np.float32)[ri]
    return np.asarray(a[li].multiply(b[ri]).sum(axis=1), dtype=np.float32).ravel()


def _distinct(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts in first-seen order and, per text, its position among them."""
    position = {t: i for i, t in enumerate(dict.fromkeys(texts))}
    return list(position), np.fromiter(map(position.__getitem__, texts), np.int64, len(texts))


class SparseRows:
    """A corpus's sparse TF-IDF rows, scored against query rows into a dense matrix.

    Char n-gram products are ~95% non-zero (short n-grams are shared), so the result is
    wanted dense: torch's CSR x dense kernel writes it directly on all cores, ~4x faster on
    2 cores than scipy's sparse x sparse product followed by `toarray`.
    """

    def __init__(self, rows: sparse.csr_matrix) -> None:
        import torch

        rows = sparse.csr_matrix(rows, dtype=np.float32)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
            self._rows = torch.sparse_csr_tensor(
                torch.from_numpy(rows.indptr.astype(np.int64)),
                torch.from_numpy(rows.indices.astype(np.int64)),
                torch.from_numpy(rows.data),
                size=rows.shape,
                check_invariants=False,  # scipy built it: a valid CSR matrix
            )
        self.shape = rows.shape

    def scores(self, queries: sparse.csr_matrix) -> np.ndarray:
        """(n_queries, n_rows) float32 dot products of query rows with the corpus rows."""
        import torch

        if queries.shape[0] == 0 or self.shape[0] == 0:
            return np.zeros((queries.shape[0], self.shape[0]), np.float32)
        columns = torch.from_numpy(queries.T.astype(np.float32).toarray())
        return np.ascontiguousarray((self._rows @ columns).numpy().T)
