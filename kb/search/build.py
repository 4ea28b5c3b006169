"""Building the search index: every signal (kb.search.signals) fitted on the articles and saved,
and the no-match calibration learnt.

A build goes into a fresh folder under `<out>/builds/` and only then becomes `<out>/current`
(a symlink swapped atomically), so a failed build leaves the previous index serving.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from kb.articles.parsing import Article, Problem, load_articles
from kb.articles.tags import load_tag_names
from kb.errors import IndexBroken, KBError
from kb.search import calibration, tune
from kb.search.build_files import BuildFiles
from kb.search.encoders import question_sets
from kb.search.loading import LoadedBuild
from kb.search.signals import signals
from kb.search.signals.base import Corpus, Previous
from kb.search.signals.classifier import MAX_ARTICLES
from kb.search.signals.encoder import Encoder

FORMAT = 3  # 3: the keyword index is a BM25 matrix (keywords.npz), no longer whoosh
KEEP_BUILDS = 2
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


def read_manifest(build: Path | None) -> dict | None:
    """A build's manifest, or None when there is no readable one."""
    if build is None:
        return None
    try:
        manifest = json.loads(BuildFiles(build).manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def calibrate(corpus: Corpus, sets: dict, with_classifier: bool, previous_manifest: dict | None) -> dict:
    """The no-match calibration (kb.search.calibration); the previous build's when few phrasings changed,
    since it is a statistic over the whole knowledge base and relearning it takes the most time.

    `previous_manifest` is only given when the same models made the previous build, so its encoder
    sets are this build's too."""
    phrasing_hashes = corpus.phrasing_hashes
    old = (previous_manifest or {}).get("calibration", {})
    # compared with the phrasings it was learnt from, so that many small edits add up
    old_hashes = old.get("learnt_from") if isinstance(old, dict) else None
    if (isinstance(old_hashes, dict) and old.get("version") == calibration.VERSION
            and old.get("with_classifier") == with_classifier):
        changed = sum(old_hashes.get(k) != v for k, v in phrasing_hashes.items()) + len(old_hashes.keys() - phrasing_hashes.keys())
        if changed <= RECALIBRATE_SHARE * len(phrasing_hashes):
            return old
    learnt = calibration.learn(corpus.vectors, corpus.phrase_article, corpus.langs, sets, with_classifier)
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
        report = _write_build(tmp, out_dir, articles, list(encoders), progress, started, tag_names)
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


def _write_build(folder: Path, out_dir: Path, articles: list[Article], encoders: list[str], progress, started,
                 tag_names: dict | None = None) -> BuildReport:
    folder.mkdir(parents=True)
    files = BuildFiles(folder)
    corpus = Corpus.of(articles)
    sources = tune.sources(out_dir, encoders)  # the model `kb tune` adapted, where there is one
    fitted = signals(encoders, sources, out_dir / "cache")
    embedders = [s for s in fitted if isinstance(s, Encoder)]
    models = {e.name: e.model for e in embedders}
    current = (out_dir / "current").resolve() if (out_dir / "current").exists() else None
    manifest = read_manifest(current)
    previous = Previous(current, manifest, manifest if manifest and manifest.get("models") == models else None)
    update, close = _progress_bar(sum(e.to_embed(corpus) for e in embedders), progress)
    try:
        for signal in fitted:
            if isinstance(signal, Encoder):
                signal.progress = update
            signal.fit(corpus, previous)
    finally:
        close()
    for signal in fitted:
        signal.save(files)
    sets = question_sets(encoders)
    calib = calibrate(corpus, sets, len(articles) <= MAX_ARTICLES, previous.same_models)
    np.save(files.phrase_article, corpus.phrase_article)
    np.save(files.passage_article, corpus.passage_article)
    _write_json(files.articles, [asdict(a) for a in articles])
    _write_json(files.texts, {"phrasings": corpus.phrasings, "passages": corpus.passages})
    manifest = {
        "format": FORMAT,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "models": models,
        "sources": sources,
        "encoders": encoders,
        "encoder_sets": sets,
        "phrasing_hashes": corpus.phrasing_hashes,
        "calibration": calib,
        "counts": {"articles": len(articles), "phrasings": len(corpus.phrasings), "passages": len(corpus.passages),
                   "languages": {lang: int((corpus.langs == lang).sum()) for lang in sorted(set(corpus.langs))}},
        "articles": {a.id: a.content_hash() for a in articles},
        "tag_names": tag_names or {},  # the help site's name of each tag, from articles/_tags.yml
        "article_order": corpus.ids,
    }
    for signal in fitted:
        manifest.update(signal.manifest())
    _write_json(files.manifest, manifest)
    return BuildReport(path=str(folder), articles=len(articles), phrasings=len(corpus.phrasings),
                       passages=len(corpus.passages), embedded=sum(e.embedded_ for e in embedders),
                       seconds=round(time.perf_counter() - started, 2))


def _write_json(path: Path, data):
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
