"""Lexical similarity: character n-gram TF-IDF fitted on the Dutch ESCO vocabulary."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.taxonomy import taxonomy

# Vacancy-title noise that says nothing about the occupation.
_NOISE = re.compile(
    r"\((?:m|v|x|f|d|h)(?:\s*/\s*(?:m|v|x|f|d|h))+\)"  # (m/v), (m/v/x)
    r"|\b\d{1,2}\s*(?:-|tot|à)\s*\d{1,2}\s*(?:uur|u)\b|\b\d{1,2}\s*(?:uur|u)\b"  # 32-40 uur
    r"|\b(?:fulltime|parttime|full-time|part-time|medior|senior|junior|ervaren|allround)\b"
    r"|\b(?:regio|omgeving|te|in)\s+[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*"  # regio Utrecht
    r"|\s+-\s+[A-Z][\w'-]+$",  # "- Zwolle"
    flags=re.IGNORECASE,
)


def clean_title(title: str) -> str:
    """A job title without gender markers, hours, seniority and place names."""
    text = _NOISE.sub(" ", title)
    text = re.sub(r"[()\[\]|/,;:]+", " ", text)
    return re.sub(r"\s+", " ", text).strip().lower()


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


def pair_similarity(left: list[str], right: list[str]) -> np.ndarray:
    """Cosine similarity of left[i] and right[i] under the char n-gram model."""
    if not left:
        return np.zeros(0, dtype=np.float32)
    vec = vectorizer()
    a, b = vec.transform(left), vec.transform(right)
    return np.asarray(a.multiply(b).sum(axis=1)).ravel().astype(np.float32)


def one_to_many(one: str, many: list[str]) -> np.ndarray:
    """Cosine similarity of one text against many."""
    return pair_similarity([one] * len(many), many)
