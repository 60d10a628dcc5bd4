"""Training pairs for the domain-adapted embedder, from the ESCO taxonomy (polars, by seed).

Datasets, each a frame of `anchor`, `positive` and, where there is one, `negative`:
- `same_occupation`: every alternative and hidden label (ESCO's misspellings and outdated
  forms) -> its occupation's preferred label (strong), with a hard negative: the preferred
  label of a neighbouring occupation (nearest by the base model, outside the anchor's ISCO
  unit group so that near-synonyms are not pushed apart);
- `variants`: a label as vacancies write it (`training.title_variants`) -> the preferred
  label, same negative;
- `isco_group`: preferred label -> its ISCO unit group's label (a right answer in every
  title set), the neighbour's as negative;
- `definition`: preferred label -> the opening of its description (a passage), with the
  neighbour's description as negative;
- `same_isco_unit`: preferred labels of two occupations in one ISCO unit group (weaker);
- `outcomes` (optional): a placed vacancy's title -> the jobseeker's desired occupation.

A share of the occupations, chosen by a seeded hash of the URI, is held out: none of their
labels or descriptions appears in any pair; they are the validation and test occupations
of `training.embedder_eval`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from eval.title_sets import TEST_SHARE, VALIDATION_SHARE, held_out_occupations
from matching.lexical import cleaned_title
from matching.taxonomy import taxonomy
from training.hard_negatives import NEIGHBOURS, neighbours, occupation_centroids, pick_negatives
from training.title_variants import variants, word_vocabulary

DESCRIPTION_CHARS = 300
VARIANT_SHARE = 0.5  # of an occupation's labels that give a noisy form (one each)


@dataclass
class EmbedderData:
    """The training datasets and the occupations kept out of them."""

    pairs: dict[str, pl.DataFrame]
    held_out: frozenset[str]  # ESCO URIs never seen in training
    seed: int

    def sizes(self) -> dict[str, int]:
        return {name: frame.height for name, frame in self.pairs.items()}

    def digest(self) -> str:
        """A short digest of the pairs (what a resumed run must train on again)."""
        h = hashlib.blake2b(digest_size=6)
        for name in sorted(self.pairs):
            h.update(name.encode())
            h.update(self.pairs[name].hash_rows(seed=0).to_numpy().tobytes())
        return h.hexdigest()


def occupation_frame() -> pl.DataFrame:
    """ESCO occupations: uri, isco, isco_label, label, alt_labels (alternative and hidden
    labels, a list), description; taxonomy order."""
    tax = taxonomy()
    occ = list(tax.occupations.values())
    return pl.DataFrame(
        {
            "uri": [o.uri for o in occ],
            "isco": [o.isco for o in occ],
            "isco_label": [tax.isco_label(o.isco) for o in occ],
            "label": [o.label for o in occ],
            "alt_labels": [[*o.alt_labels, *o.hidden_labels] for o in occ],
            "description": [o.description for o in occ],
        }
    )


def description_opening(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The first sentences of a description, up to about `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > limit // 3 else text[:limit].rsplit(" ", 1)[0]


def label_texts(occ: pl.DataFrame) -> pl.DataFrame:
    """(i, isco, text): every label of every occupation as the title matcher sees it."""
    return (
        occ.select("i", "isco", pl.concat_list("label", "alt_labels").alias("text"))
        .explode("text")
        .drop_nulls("text")
        .with_columns(_title("text").alias("text"))
        .unique(maintain_order=True)
    )


def build_pairs(
    label_vectors: np.ndarray,
    owner: np.ndarray,
    seed: int = 0,
    held_out_share: float = TEST_SHARE + VALIDATION_SHARE,
    max_pairs: int | None = None,
    outcomes: pl.DataFrame | None = None,
) -> EmbedderData:
    """All datasets from the taxonomy (and placed outcomes, if given), reproducible by seed.

    `label_vectors`/`owner` are the base model's vectors of `esco_labels()` and the index of
    each label's occupation: they find the neighbouring occupations for hard negatives.
    Pairs holding any label text of a held-out occupation are left out, whichever occupation
    they come from.
    """
    rng = np.random.default_rng(seed)
    occ = occupation_frame().with_row_index("i")
    held = held_out_occupations(occ["uri"].to_list(), held_out_share, seed)
    occ = occ.with_columns(held_out=pl.col("uri").is_in(list(held)))
    texts = label_texts(occ)
    forbidden = set(texts.filter(pl.col("i").is_in(occ.filter("held_out")["i"]))["text"])
    unit_texts = {
        g["isco"][0]: set(g["text"]) for g in texts.partition_by("isco", maintain_order=True)
    }
    isco = occ["isco"].to_numpy()
    centroids = occupation_centroids(label_vectors, owner, occ.height)
    near = neighbours(centroids, isco, ~occ["held_out"].to_numpy(), k=4 * NEIGHBOURS)
    titles = occ.select(_title("label"))["label"].to_list()
    own_texts = {g["i"][0]: set(g["text"]) for g in texts.partition_by("i", maintain_order=True)}
    pick = pick_negatives(near, titles, isco, unit_texts, own_texts, forbidden, rng)
    occ = occ.with_columns(neighbour=pl.Series(pick, dtype=pl.Int64))
    other = occ.select(
        pl.col("i").cast(pl.Int64).alias("neighbour"),
        pl.col("label").alias("neighbour_label"),
        pl.col("isco_label").alias("neighbour_isco_label"),
        pl.col("description").alias("neighbour_description"),
    )
    train = occ.filter(~pl.col("held_out")).join(other, on="neighbour", how="inner")
    pairs = {
        "same_occupation": _same_occupation(train, texts),
        "variants": _variants(train, texts, rng),
        "definition": _definitions(train),
        "same_isco_unit": _same_unit(train, seed),
        "isco_group": _isco_group(train),
    }
    if outcomes is not None and outcomes.height:
        pairs["outcomes"] = _outcome_pairs(outcomes, occ.filter(pl.col("held_out")))
    pairs = {k: _without(v, forbidden) for k, v in pairs.items()}
    if max_pairs is not None:
        pairs = {k: v.sample(min(v.height, max_pairs), seed=seed) for k, v in pairs.items()}
    shuffled = {k: v.sample(fraction=1.0, shuffle=True, seed=seed) for k, v in pairs.items()}
    return EmbedderData({k: v for k, v in shuffled.items() if v.height}, held, seed)


def _without(frame: pl.DataFrame, texts: set[str]) -> pl.DataFrame:
    """Rows none of whose cells is one of `texts`."""
    banned = list(texts)
    return frame.filter(~pl.any_horizontal(pl.col(c).is_in(banned) for c in frame.columns))


def _title(column: str) -> pl.Expr:
    """Titles as the title matcher embeds them: without noise, lower case."""
    return pl.col(column).map_elements(cleaned_title, return_dtype=pl.Utf8)


def _same_occupation(train: pl.DataFrame, texts: pl.DataFrame) -> pl.DataFrame:
    """Alternative label -> preferred label, for labels that name one occupation only."""
    shared = texts.group_by("text").agg(pl.col("i").n_unique().alias("n")).filter(pl.col("n") > 1)
    return (
        train.select("alt_labels", "label", "neighbour_label")
        .explode("alt_labels")
        .drop_nulls("alt_labels")
        .select(
            _title("alt_labels").alias("anchor"),
            _title("label").alias("positive"),
            _title("neighbour_label").alias("negative"),
        )
        .filter(pl.col("anchor") != pl.col("positive"))
        .join(shared.select(pl.col("text").alias("anchor")), on="anchor", how="anti")
        .unique(["anchor", "positive"], keep="first", maintain_order=True)
    )


def _variants(train: pl.DataFrame, texts: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """A noisy form of a share of every training occupation's labels -> its preferred label;
    forms that are some occupation's label are left out (they would name another one). The
    vocabulary for compound splits is the training occupations' own words."""
    rows = train.select("label", "alt_labels", "neighbour_label").rows()
    vocabulary = word_vocabulary(t for label, alts, _ in rows for t in (label, *alts))
    out = []
    for label, alts, negative in rows:
        for text in (label, *alts):
            forms = variants(text, rng, vocabulary) if rng.random() < VARIANT_SHARE else []
            if forms:
                out.append((forms[rng.integers(len(forms))], label, negative))
    frame = pl.DataFrame(out, schema=["anchor", "positive", "negative"], orient="row")
    return (
        frame.with_columns(_title("positive"), _title("negative"))
        .filter(pl.col("anchor") != pl.col("positive"))
        .join(texts.select(pl.col("text").alias("anchor")).unique(), on="anchor", how="anti")
        .unique("anchor", keep="first", maintain_order=True)
    )


def _isco_group(train: pl.DataFrame) -> pl.DataFrame:
    """Preferred label -> its ISCO unit group's label (negative: the neighbour's)."""
    return (
        train.drop_nulls(["isco_label", "neighbour_isco_label"])
        .filter(pl.col("isco_label") != pl.col("neighbour_isco_label"))
        .select(
            _title("label").alias("anchor"),
            _title("isco_label").alias("positive"),
            _title("neighbour_isco_label").alias("negative"),
        )
        .filter(pl.col("anchor") != pl.col("positive"))
    )


def _definitions(train: pl.DataFrame) -> pl.DataFrame:
    return (
        train.filter(pl.col("description").str.len_chars() > 20)
        .select(
            _title("label").alias("anchor"),
            pl.col("description")
            .map_elements(description_opening, return_dtype=pl.Utf8)
            .alias("positive"),
            pl.col("neighbour_description")
            .map_elements(description_opening, return_dtype=pl.Utf8)
            .alias("negative"),
        )
        .filter(pl.col("negative").str.len_chars() > 20)
    )


def _same_unit(train: pl.DataFrame, seed: int) -> pl.DataFrame:
    """One partner per occupation: another occupation of its ISCO unit group, at random."""
    members = train.select("i", "isco", "label")
    pairs = (
        members.join(members, on="isco", suffix="_other")
        .filter(pl.col("i") != pl.col("i_other"))
        .sample(fraction=1.0, shuffle=True, seed=seed)
        .unique("i", keep="first", maintain_order=True)
        .sort("i")
    )
    return pairs.select(_title("label").alias("anchor"), _title("label_other").alias("positive"))


def _outcome_pairs(outcomes: pl.DataFrame, held_out: pl.DataFrame) -> pl.DataFrame:
    """(vacancy title, desired occupation) of placements not resolved to a held-out occupation.

    `outcomes` has `title`, `desired_occupation`, `vacancy_uri`, `jobseeker_uri`; titles that
    are held-out labels are removed with every other dataset's.
    """
    held_uris = held_out["uri"].to_list()
    return (
        outcomes.filter(
            ~pl.col("vacancy_uri").is_in(held_uris).fill_null(False)
            & ~pl.col("jobseeker_uri").is_in(held_uris).fill_null(False)
        )
        .select(_title("title").alias("anchor"), _title("desired_occupation").alias("positive"))
        .filter(pl.col("anchor") != pl.col("positive"))
        .unique(maintain_order=True)
    )
