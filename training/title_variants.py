"""Noisy surface forms of occupation titles, written the way vacancies and CVs write them.

Augmentation for the embedder's training pairs (`training.embedder_data`). Every form keeps
the occupation and changes only the text:
- gendered and slash forms: "medewerker/ster", "leraar/lerares", "(m/v/x)";
- vacancy-title noise: hours, parttime, seniority words, places, "vacature", "per direct";
- English loanwords for Dutch words: "sales" for "verkoop", "teamleader" for "teamleider";
- compound splits: "vrachtwagen chauffeur" for "vrachtwagenchauffeur";
- typos: a dropped, doubled, swapped or neighbouring-key letter.
Forms are cleaned as the title matcher cleans every title (`matching.lexical.cleaned_title`),
so the model learns only the noise that survives cleaning. Seeded: the same rng state gives
the same forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from matching.lexical import cleaned_title

# last-word suffix -> its female form, written after a slash: "directeur/directrice", or only
# the added letters where the whole word is kept ("medewerker/ster")
GENDERED = (
    ("teur", "trice"),
    ("eur", "euse"),
    ("aar", "ares"),
    ("ist", "iste"),
    ("ent", "ente"),
    ("er", "ster"),
)
KEPT_WHOLE = ("er", "ist")  # suffixes whose female form adds letters to the whole word
ENGLISH_ENDINGS = ("ager", "gner", "oper", "ller", "ner", "ter")  # manager, designer, ...
NOISE_BEFORE = ("vacature", "gezocht", "startende", "leerling", "tijdelijk", "zzp", "ervaren")
NOISE_AFTER = (
    "(m/v/x)",
    "32-40 uur",
    "parttime",
    "per direct",
    "regio Utrecht",
    "- Zwolle",
    "in amsterdam",
    "mbo 4",
    "hbo",
    "bbl",
    "met rijbewijs",
    "nl",
    "24 uur per week",
)
LOANWORDS = {
    "verkoopmedewerker": "sales medewerker",
    "verkoop": "sales",
    "klantenservice": "customer service",
    "teamleider": "teamleader",
    "leidinggevende": "manager",
    "bedrijfsleider": "manager",
    "beheerder": "manager",
    "ontwikkelaar": "developer",
    "programmeur": "developer",
    "inkoper": "buyer",
    "adviseur": "consultant",
    "magazijn": "warehouse",
    "chauffeur": "driver",
    "schoonmaker": "cleaner",
    "monteur": "engineer",
    "ontwerper": "designer",
    "onderzoeker": "researcher",
    "boekhouder": "accountant",
    "opleider": "trainer",
    "administratief": "administratief office",
}
KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
MIN_PART = 3  # the shortest word a compound split may leave


def variants(title: str, rng: np.random.Generator, vocabulary: frozenset[str]) -> list[str]:
    """Every form of `title` that applies (cleaned, distinct, none equal to the title)."""
    raw = [
        gendered_form(title),
        with_noise(title, rng),
        loanword_form(title),
        compound_split(title, vocabulary),
        typo(title, rng),
    ]
    own = cleaned_title(title)
    forms = dict.fromkeys(cleaned_title(f) for f in raw if f)
    return [f for f in forms if f and f != own]


def gendered_form(title: str) -> str | None:
    """The title with its last word's female suffix after a slash, when a rule applies."""
    words = title.split()
    if not words:
        return None
    last = words[-1]
    if last.endswith(ENGLISH_ENDINGS):
        return None
    for suffix, female in GENDERED:
        if last.endswith(suffix) and len(last) > len(suffix) + 2:
            tail = female if suffix in KEPT_WHOLE else last[: -len(suffix)] + female
            return " ".join([*words[:-1], f"{last}/{tail}"])
    return None


def with_noise(title: str, rng: np.random.Generator) -> str:
    """The title among one or two pieces of vacancy-title noise."""
    before = NOISE_BEFORE[rng.integers(len(NOISE_BEFORE))] if rng.random() < 0.5 else ""
    after = NOISE_AFTER[rng.integers(len(NOISE_AFTER))]
    return " ".join(p for p in (before, title, after) if p)


def loanword_form(title: str) -> str | None:
    """The title with its first Dutch word (or word part) that has a loanword replaced."""
    lower = title.lower()
    for dutch, english in LOANWORDS.items():
        at = lower.find(dutch)
        if at >= 0:
            spaced = f" {english} " if at > 0 or at + len(dutch) < len(lower) else english
            return re.sub(r"\s+", " ", lower[:at] + spaced + lower[at + len(dutch) :]).strip()
    return None


def compound_split(title: str, vocabulary: frozenset[str]) -> str | None:
    """The title with its first splittable compound written as two words ("vrachtwagen
    chauffeur"); a linking s stays with the first part ("bedrijfs leider")."""
    words = title.lower().split()
    for k, word in enumerate(words):
        split = _split(word, vocabulary)
        if split:
            return " ".join([*words[:k], *split, *words[k + 1 :]])
    return None


def _split(word: str, vocabulary: frozenset[str]) -> tuple[str, str] | None:
    """The longest head such that head (less a linking s) and tail are known words."""
    for cut in range(len(word) - MIN_PART, MIN_PART - 1, -1):
        head, tail = word[:cut], word[cut:]
        if tail in vocabulary and (
            head in vocabulary or (head.endswith("s") and head[:-1] in vocabulary)
        ):
            return head, tail
    return None


def typo(title: str, rng: np.random.Generator) -> str | None:
    """One letter of a word of four or more letters dropped, doubled, swapped with the next,
    or replaced by a neighbouring key; never the word's first letter."""
    words = title.lower().split()
    long_ = [k for k, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long_:
        return None
    k = long_[rng.integers(len(long_))]
    word = words[k]
    at = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(4)
    if kind == 0:
        word = word[:at] + word[at + 1 :]
    elif kind == 1:
        word = word[:at] + word[at] + word[at:]
    elif kind == 2:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    else:
        word = word[:at] + _neighbour_key(word[at], rng) + word[at + 1 :]
    return " ".join([*words[:k], word, *words[k + 1 :]])


def _neighbour_key(letter: str, rng: np.random.Generator) -> str:
    """A key beside `letter` on a qwerty keyboard (the letter itself if it has none)."""
    for row in KEYBOARD:
        at = row.find(letter)
        if at >= 0:
            near = [row[i] for i in (at - 1, at + 1) if 0 <= i < len(row)]
            return near[rng.integers(len(near))]
    return letter


def word_vocabulary(titles: Iterable[str]) -> frozenset[str]:
    """The lower-case alphabetic words of `titles` at least MIN_PART letters long."""
    return frozenset(
        w for t in titles for w in t.lower().split() if len(w) >= MIN_PART and w.isalpha()
    )
