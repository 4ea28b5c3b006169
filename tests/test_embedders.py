"""The real encoders, loaded from the installed packages."""
import subprocess
import sys

import numpy as np
from conftest import ROOT


def test_encoders_give_unit_vectors_and_agree_on_paraphrases():
    from kb.search.encoders import get_embedder

    texts = ["how do I reset my password", "I forgot my password", "what is the weather in Paris"]
    for name in ("minilm", "use", "e5"):
        embedder = get_embedder(name)
        vectors = embedder.encode(texts)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
        assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2], name
        # one question (the search path) gets the vector a batch (the index build) gives it
        assert embedder.encode(texts[:1])[0] @ vectors[0] > 0.999, name


def test_e5_keeps_its_own_two_threads_when_torch_was_loaded_first():
    # Loaded after torch, the engine's OpenMP calls used to bind to torch's one-thread runtime and
    # every search took twice as long. Its own runtime starts a worker thread on the first call.
    code = """
import os, torch
torch.set_num_threads(1)
torch.ones(4) @ torch.ones(4)
from kb.search.encoders import E5Embedder
e5 = E5Embedder()
before = len(os.listdir("/proc/self/task"))
e5.encode(["как вернуть товар"])
print(len(os.listdir("/proc/self/task")) - before)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(out.stdout.strip().splitlines()[-1]) >= 1


def test_a_long_question_is_cut_for_e5_on_a_word_boundary():
    from kb.search.encoders import get_embedder

    e5 = get_embedder("e5")
    short = "как вернуть товар"
    assert e5.shorten(short) == short
    long = " ".join(["Здравствуйте, я купил у вас стиральную машину в прошлом месяце"] * 4)
    cut = e5.shorten(long)
    assert long.startswith(cut) and len(cut) < len(long) and not cut.endswith(" ")
    assert e5._model.token_count(cut, True) <= e5.QUESTION_TOKENS
    assert np.isfinite(e5.encode([long])).all()
