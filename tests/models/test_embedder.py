"""Embedder precision: bf16 matrix products give the same vectors as fp32, to a cosine of 0.999."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.embedder import Embedder, native_bf16, resolve_precision

TEXTS = [
    "Heftruckchauffeur (m/v/x) 32-40 uur",
    "Ik ben een ervaren verpleegkundige met tien jaar ervaring in de ouderenzorg en thuiszorg.",
    "orderpicker/magazijn",
]


def test_auto_precision_follows_the_cpu():
    assert resolve_precision("auto") == ("bf16" if native_bf16() else "fp32")
    assert resolve_precision("fp32") == "fp32"
    assert resolve_precision("bf16") == "bf16"


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_bf16_and_fp32_vectors_agree(model_dir: Path, embedder: Embedder, prompt):
    fp32 = Embedder(model_dir, batch_size=8, precision="fp32")
    bf16 = Embedder(model_dir, batch_size=8, precision="bf16")
    a, b = fp32.encode(TEXTS, prompt), bf16.encode(TEXTS, prompt)
    assert a.dtype == b.dtype == np.float32
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() >= 0.999
    assert fp32.model_id == bf16.model_id == embedder.model_id
