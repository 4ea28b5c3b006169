"""Building the search index: BM25 for keywords, faiss for embeddings, and what is learnt.

A build goes into a fresh folder under `<out>/builds/` and only then becomes `<out>/current`
(a symlink swapped atomically), so a failed build leaves the previous index serving.
Embeddings are cached by model and text hash: unchanged text is never embedded again.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np

from kb.articles.parsing import Article, Problem, load_articles
from kb.articles.tags import load_tag_names
from kb.errors import IndexBroken, KBError
from kb.search import calibration, classifier, fusion
from kb.search.build_files import BuildFiles
from kb.search.encoders import ENGLISH_ONLY
from kb.search.keywords import KeywordIndex

FORMAT = 3  # 3: the keyword index is a BM25 matrix (keywords.npz), no longer whoosh
KEEP_BUILDS = 2
# Above this many articles the classifier's training (and the n-gram model's) outgrows the machine;
# search then ranks by the fused similarity alone (docs/benchmarks.md).
MAX_CLASSIFIER_ARTICLES = 3000
# The calibration is learnt again once this share of the articles' phrasings changed since it was.
RECALIBRATE_SHARE = 0.05


class BuildError(KBError):
    code = "build_failed"

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class BuildReport:
    path: str
    articles: int
    phrasings: int
    passages: int
    embedded: int  # texts that were not in the cache
    seconds: float


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


_MARKDOWN = re.compile(r"[*_`#>\[\]]|\(https?://[^)]*\)")


def passages(body: str, limit: int = 400) -> list[str]:
    """Paragraphs of the answer as plain text, each short enough to embed well."""
    found = []
    for block in re.split(r"\n\s*\n", body):
        text = " ".join(_MARKDOWN.sub(" ", block).split())
        if len(text) >= 12:
            found.append(text[:limit])
    return found or [" ".join(_MARKDOWN.sub(" ", body).split())[:limit]]


class EmbeddingCache:
    """Vectors of one model keyed by text hash, kept in `<out>/cache/` between builds."""

    def __init__(self, folder: Path, model_id: str):
        self.path = folder / f"{text_hash(model_id)}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            try:
                with np.load(self.path) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
            except (OSError, ValueError, KeyError):
                self.vectors = {}  # a damaged cache only costs time

    def save(self, keep: set[str]):
        keys = sorted(k for k in self.vectors if k in keep)
        if not keys:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
        os.replace(tmp, self.path)


def embed_all(load_embedder, texts: list[str], cache: EmbeddingCache, progress) -> tuple[np.ndarray, int]:
    """Vectors of `texts`; the model is loaded (`load_embedder()`) only if the cache misses a text."""
    hashes = [text_hash(t) for t in texts]
    missing = sorted({h: t for h, t in zip(hashes, texts) if h not in cache.vectors}.items())
    embedder = load_embedder() if missing else None
    batch = 256
    for start in range(0, len(missing), batch):
        chunk = missing[start:start + batch]
        vectors = embedder.encode([t for _, t in chunk])
        cache.vectors.update(zip([h for h, _ in chunk], vectors))
        progress(len(chunk))
    return np.stack([cache.vectors[h] for h in hashes]).astype(np.float32), len(missing)


def write_ngrams(folder: Path, texts: list[str], labels: np.ndarray, n_articles: int, phrasing_hashes: dict,
                 previous: Path | None, previous_manifest: dict | None):
    """The character n-gram model (kb.search.ngrams); the previous build's files when no phrasing changed."""
    from kb.search.ngrams import NgramModel

    if (previous_manifest and previous_manifest.get("phrasing_hashes") == phrasing_hashes
            and previous_manifest.get("article_order") == list(phrasing_hashes)
            and _loads_ngrams(previous)):
        for path in BuildFiles(previous).ngram_files():
            shutil.copy(path, folder / path.name)
        return
    NgramModel.fit(texts, labels, n_articles).save(folder)


def _loads_ngrams(build: Path) -> bool:
    """Whether a build's n-gram model reads back whole: a damaged one is fitted again, not copied on."""
    from kb.search.ngrams import NgramModel

    try:
        return NgramModel.load(build) is not None
    except Exception:  # noqa: BLE001 (whatever a damaged file makes numpy or scipy raise)
        return False


def read_manifest(build: Path | None) -> dict | None:
    """A build's manifest, or None when there is no readable one."""
    if build is None:
        return None
    try:
        manifest = json.loads(BuildFiles(build).manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def feature_sets(encoders: list[str]) -> dict[str, list[str]]:
    """The classifier's inputs: what embeds a non-English question, and what embeds an English one."""
    multilingual = [e for e in encoders if e not in ENGLISH_ONLY]
    sets = {"multi": multilingual} if multilingual else {}
    english = fusion.query_encoders(encoders, "en")
    if english != multilingual:
        sets["en"] = english
    return sets


def calibrate(phrase_vectors, phrase_article, article_langs, sets, with_classifier, phrasing_hashes,
              previous_manifest) -> dict:
    """The no-match calibration (kb.search.calibration); the previous build's when few phrasings changed,
    since it is a statistic over the whole knowledge base and relearning it takes the most time.

    `previous_manifest` is only given when the same models made the previous build, so its encoder
    sets are this build's too."""
    old = (previous_manifest or {}).get("calibration", {})
    # compared with the phrasings it was learnt from, so that many small edits add up
    old_hashes = old.get("learnt_from") if isinstance(old, dict) else None
    if (isinstance(old_hashes, dict) and old.get("version") == calibration.VERSION
            and old.get("with_classifier") == with_classifier):
        changed = sum(old_hashes.get(k) != v for k, v in phrasing_hashes.items()) + len(old_hashes.keys() - phrasing_hashes.keys())
        if changed <= RECALIBRATE_SHARE * len(phrasing_hashes):
            return old
    learnt = calibration.learn(phrase_vectors, phrase_article, article_langs, sets, with_classifier)
    learnt["with_classifier"] = with_classifier
    learnt["learnt_from"] = phrasing_hashes
    return learnt


def _progress_bar(total: int, enabled: bool):
    if not enabled or total == 0:
        return lambda n: None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="embedding", unit="text", delay=1.0, leave=False)
    return bar.update, bar.close


def build_index(articles_dir, out_dir, encoders=("minilm", "use", "e5"), progress: bool = False) -> BuildReport:
    """Build a complete index of `articles_dir` and make it `<out_dir>/current`."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    articles, problems = load_articles(articles_dir)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise BuildError(f"{len(errors)} problem(s) in the articles; the previous index keeps serving", errors)
    if not articles:
        raise BuildError(f"no articles found in {articles_dir}; the previous index keeps serving")
    builds = out_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f".tmp-{uuid.uuid4().hex[:8]}"
    final = None
    try:
        tag_names, _problems = load_tag_names(articles_dir)  # `kb check` reports its problems
        report = _write_build(tmp, out_dir / "cache", articles, list(encoders), progress, started, tag_names)
        final = builds / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        os.rename(tmp, final)
        _check_loads(final)
        _point_current(out_dir, final)
    except BaseException as exc:
        for debris in (tmp, final):
            if debris is not None:
                shutil.rmtree(debris, ignore_errors=True)
        if isinstance(exc, KBError):
            raise
        if isinstance(exc, Exception):
            raise BuildError(f"index build failed: {exc}; the previous index keeps serving") from exc
        raise
    _remove_old_builds(builds, keep=final)
    report.path = str(final)
    return report


def articles_signature(articles_dir) -> tuple:
    """Changes whenever a file in the articles folder is added, removed or written."""
    folder = Path(articles_dir)
    if not folder.is_dir():
        return ()
    files = [(p.name, p.stat()) for p in folder.iterdir() if p.is_file()]
    return tuple(sorted((name, stat.st_mtime_ns, stat.st_size) for name, stat in files))


def watch(articles_dir, out_dir, encoders, on_build, on_error, interval: float = 1.0, stop=None):
    """Rebuild whenever the articles change, with the models kept loaded between builds, so an
    edit is searchable within seconds. Runs until `stop` (a threading.Event) is set."""
    import threading

    stop = stop or threading.Event()
    seen = None
    while not stop.is_set():
        signature = articles_signature(articles_dir)
        if signature != seen:
            seen = signature
            try:
                on_build(build_index(articles_dir, out_dir, encoders=encoders))
            except (KBError, OSError) as exc:  # a broken article: say so, keep the old index, keep watching
                on_error(exc)
        stop.wait(interval)


def _check_loads(build: Path):
    """Load the build as a server will: a file that does not read back whole (a full disk, a lost
    write) fails the build here, before `current` points at it."""
    from kb.search.loading import LoadedBuild  # loading imports this module

    try:
        LoadedBuild(None, build)
    except IndexBroken as exc:
        raise BuildError(f"{exc.message}; the previous index keeps serving") from exc


def _point_current(out_dir: Path, build: Path):
    link = out_dir / "current"
    tmp_link = out_dir / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(build, out_dir), tmp_link)
    os.replace(tmp_link, link)  # atomic: readers see the old build or the new one, never neither


def _remove_old_builds(builds: Path, keep: Path):
    old = sorted(p for p in builds.iterdir() if p != keep and not p.name.startswith("."))
    for path in old[:max(0, len(old) - (KEEP_BUILDS - 1))]:
        shutil.rmtree(path, ignore_errors=True)


def _write_build(folder: Path, cache_dir: Path, articles: list[Article], encoders: list[str], progress, started,
                 tag_names: dict | None = None) -> BuildReport:
    from kb.search.encoders import get_embedder, model_id

    folder.mkdir(parents=True)
    files = BuildFiles(folder)
    phrase_texts, phrase_article, passage_texts, passage_article = [], [], [], []
    for number, article in enumerate(articles):
        for text in article.phrasings:
            phrase_texts.append(text)
            phrase_article.append(number)
        for text in passages(article.body):
            passage_texts.append(text)
            passage_article.append(number)
    phrase_article, passage_article = np.array(phrase_article), np.array(passage_article)
    article_langs = np.array([a.lang for a in articles])

    from kb.search.tune import sources

    loads = sources(cache_dir.parent, encoders)  # the model `kb tune` adapted, where there is one
    models = {name: model_id(loads[name]) for name in encoders}
    caches = {name: EmbeddingCache(cache_dir, models[name]) for name in encoders}
    all_texts = phrase_texts + passage_texts
    todo = sum(len({text_hash(t) for t in all_texts} - caches[n].vectors.keys()) for n in encoders)
    update, close = _progress_bar(todo, progress)
    phrase_vectors, embedded = {}, 0
    import faiss

    try:
        for name in encoders:
            vectors, new = embed_all(partial(get_embedder, loads[name], name), all_texts, caches[name], update)
            embedded += new
            caches[name].save({text_hash(t) for t in all_texts})
            phrase_vectors[name] = vectors[:len(phrase_texts)]
            for part, rows in (("phrasings", vectors[:len(phrase_texts)]), ("passages", vectors[len(phrase_texts):])):
                flat = faiss.IndexFlatIP(rows.shape[1])
                flat.add(np.ascontiguousarray(rows))
                faiss.write_index(flat, str(files.faiss(name, part)))
    finally:
        close()

    classifiers = {}
    article_ids = [a.id for a in articles]
    previous = (cache_dir.parent / "current").resolve() if (cache_dir.parent / "current").exists() else None
    previous_manifest = read_manifest(previous)
    # What was learnt from vectors is reusable only if the same models made them (not after `kb tune`).
    same_models = previous_manifest if previous_manifest and previous_manifest.get("models") == models else None
    content_hashes = {a.id: a.content_hash() for a in articles}
    sets = feature_sets(encoders)
    with_classifier = len(articles) <= MAX_CLASSIFIER_ARTICLES
    phrasing_hashes = {a.id: text_hash("\x1f".join(a.phrasings)) for a in articles}
    for set_name, names in (sets if with_classifier else {}).items():
        weights, bias = classifier.fit(classifier.features(phrase_vectors, names), phrase_article, article_ids,
                                       phrasing_hashes, previous, same_models, set_name, names)
        classifiers[set_name] = names
        np.save(files.classifier_weights(set_name), weights)
        np.save(files.classifier_bias(set_name), bias)
    calib = calibrate(phrase_vectors, phrase_article, article_langs, sets, with_classifier, phrasing_hashes,
                      same_models)

    if with_classifier:  # like the classifier, learnt per build: above that size it costs too much
        write_ngrams(folder, phrase_texts, phrase_article, len(articles), phrasing_hashes, previous, previous_manifest)
    KeywordIndex.fit(articles).save(files.keywords)  # whole each time: 0.4 s at 1,000 articles
    np.save(files.phrase_article, phrase_article)
    np.save(files.passage_article, passage_article)
    _write_json(files.articles, [asdict(a) for a in articles])
    _write_json(files.texts, {"phrasings": phrase_texts, "passages": passage_texts})
    manifest = {
        "format": FORMAT,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "models": models,
        "sources": loads,
        "encoders": encoders,
        "classifiers": classifiers,
        "encoder_sets": sets,
        "phrasing_hashes": phrasing_hashes,
        "calibration": calib,
        "counts": {"articles": len(articles), "phrasings": len(phrase_texts), "passages": len(passage_texts),
                   "languages": {lang: int((article_langs == lang).sum()) for lang in sorted(set(article_langs))}},
        "articles": content_hashes,
        "tag_names": tag_names or {},  # the help site's name of each tag, from articles/_tags.yml
        "article_order": article_ids,
    }
    _write_json(files.manifest, manifest)
    return BuildReport(path=str(folder), articles=len(articles), phrasings=len(phrase_texts),
                       passages=len(passage_texts), embedded=embedded,
                       seconds=round(time.perf_counter() - started, 2))


def _write_json(path: Path, data):
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
