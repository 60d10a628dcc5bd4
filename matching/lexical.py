"""Lexical similarity: character n-gram TF-IDF fitted on the Dutch ESCO vocabulary."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

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


def clean_title(title: str) -> str:
    """A job title without gender markers, hours, seniority and place names (lower case)."""
    text = _NOISE.sub(" ", title)
    text = re.sub(r"\s+", " ", _PUNCT.sub(" ", text)).strip().lower()
    if not text:  # everything looked like noise: keep the words that were there
        text = re.sub(r"\s+", " ", _PUNCT.sub(" ", title)).strip().lower()
    return text


@lru_cache(maxsize=1)
def vectorizer() -> TfidfVectorizer:
    """char_wb 2-4-gram TF-IDF fitted on ESCO's Dutch occupation labels (fitted once)."""
    labels = []
    for occ in taxonomy().occupations.values():
        labels.append(occ.label)
        labels.extend(occ.alt_labels)
    vec = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        sublinear_tf=True,
        min_df=2,
        lowercase=True,
        dtype=np.float32,
    )
    return vec.fit(labels)


_ROWS: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # text -> (indices, data), FIFO-bounded
_ROWS_MAX = 200_000


def transform(texts: list[str]) -> sparse.csr_matrix:
    """TF-IDF rows of texts (CSR); each distinct text is transformed once and cached."""
    missing = [t for t in dict.fromkeys(texts) if t not in _ROWS]
    if missing:
        rows = vectorizer().transform(missing)
        for i, t in enumerate(missing):
            if len(_ROWS) >= _ROWS_MAX:
                _ROWS.pop(next(iter(_ROWS)))
            start, end = rows.indptr[i], rows.indptr[i + 1]
            _ROWS[t] = (rows.indices[start:end].copy(), rows.data[start:end].copy())
    parts = [_ROWS[t] for t in texts]
    indptr = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(ix) for ix, _ in parts], out=indptr[1:])
    indices = np.concatenate([ix for ix, _ in parts]) if parts else np.zeros(0, np.int32)
    data = np.concatenate([d for _, d in parts]) if parts else np.zeros(0, np.float32)
    shape = (len(parts), len(vectorizer().vocabulary_))
    return sparse.csr_matrix((data, indices, indptr), shape=shape)


def pair_similarity(left: list[str], right: list[str]) -> np.ndarray:
    """Cosine similarity of left[i] and right[i] under the char n-gram model."""
    if not left:
        return np.zeros(0, dtype=np.float32)
    a, b = transform(left), transform(right)
    return np.asarray(a.multiply(b).sum(axis=1)).ravel().astype(np.float32)
