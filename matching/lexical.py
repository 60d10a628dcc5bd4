"""Lexical similarity: character n-gram TF-IDF fitted on the Dutch ESCO vocabulary."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
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
