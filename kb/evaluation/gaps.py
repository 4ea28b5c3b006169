"""`kb gaps eval`: replay a gap set's month of questions through the real search, cluster the
failures as the worker would, and score the suggestions (metrics of shared/eval/README.md).

A gap set is a folder with `articles/*.md` and `stream.jsonl` (one question a line, oldest first:
query, lang, at, visitor, kind, topic). Only `score_suggestions` reads `kind` and `topic`.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from kb.errors import KBError
from kb.gaps.inputs import AskedQuestion, is_candidate
from kb.gaps.tables import GapQuestion

REPLAY_CACHE = Path(os.environ.get("KB_GAPS_CACHE", "/tmp/kb-gaps-cache"))


def load_stream(path) -> list[dict]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            items.append({"query": item["query"], "lang": item.get("lang"), "at": datetime.fromisoformat(item["at"]),
                          "visitor": str(item["visitor"]), "kind": item.get("kind"), "topic": item.get("topic")})
        except (ValueError, KeyError, TypeError) as exc:
            raise KBError(f"{path}:{number}: not a stream line ({exc})") from exc
    items.sort(key=lambda i: i["at"])
    return items


def prepare_searcher(set_dir: Path, index_base, encoders=None, tune_model=True, progress=False):
    """The index of the set's articles, built and tuned exactly as `kb eval` builds one."""
    from kb.evaluation.quality import _tune_once, eval_index_dir
    from kb.search.build import build_index
    from kb.search.searcher import Searcher

    out = eval_index_dir(set_dir, Path(index_base))
    kwargs = {"encoders": tuple(encoders)} if encoders else {}
    if tune_model and "minilm" in kwargs.get("encoders", ("minilm",)):
        _tune_once(set_dir / "articles", out)
    build_index(set_dir / "articles", out, progress=progress, **kwargs)
    return Searcher(out)


def replay(set_dir, searcher_factory, stream: list[dict], use_cache: bool = True) -> list[AskedQuestion]:
    """Every question of the stream searched in time order, as live traffic is, and recorded.

    The one place questions become records: later it writes them into the query log and reads
    them back. Records are cached by the set's files and the stream so repeated runs take seconds.
    """
    set_dir = Path(set_dir)
    digest = hashlib.sha1()
    for path in sorted((set_dir / "articles").glob("*.md")) + [set_dir / "stream.jsonl"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps([i["query"] for i in stream]).encode())
    cache = REPLAY_CACHE / f"replay-{set_dir.name}-{digest.hexdigest()[:12]}.json"
    if use_cache and cache.exists():
        return [AskedQuestion.from_dict(item) for item in json.loads(cache.read_text(encoding="utf-8"))]
    searcher = searcher_factory()
    records = []
    for item in stream:
        response = searcher.search(item["query"], limit=5)
        records.append(AskedQuestion(text=item["query"], lang=item["lang"] or response.lang, asked_at=item["at"],
                                     visitor=item["visitor"], no_match=response.no_match,
                                     confidence=float(response.confidence),
                                     results=[(r.id, float(r.confidence)) for r in response.results[:5]]))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps([r.to_dict() for r in records], ensure_ascii=False), encoding="utf-8")
    return records


# -- metrics (the only code that reads kind and topic) -----------------------------------------
def _labels(stream: list[dict]) -> dict[str, tuple]:
    """Each question's (kind, topic), by text (a repeated text takes its first label)."""
    label = {}
    for item in stream:
        label.setdefault(item["query"], (item["kind"], item["topic"]))
    return label


def _majority(suggestion: dict, label: dict) -> tuple[str | None, int]:
    """The missing topic most of a suggestion's questions carry (None for answerable or off-topic
    ones) and how many carry it."""
    topics = Counter(label[q][1] if label[q][0] == "gap" else None for q in suggestion["questions"])
    return topics.most_common(1)[0] if topics else (None, 0)


def score_suggestions(suggestions: list[dict], stream: list[dict]) -> dict:
    """topic_recall, small_topic_recall, precision, fragmentation, noise (shared/eval/README.md).

    Each suggestion: kind ("missing" | "add"), article (id or None), questions (member texts).
    Questions are matched to the stream by text (a repeated text takes its first label).
    """
    label = _labels(stream)
    asked = Counter(item["topic"] for item in stream if item["kind"] == "gap")
    big = {t for t, n in asked.items() if n >= 5}
    small = {t for t, n in asked.items() if 3 <= n <= 4}

    found = Counter()
    fragments = Counter()
    right = judged = 0
    for s in suggestions:
        topic, n = _majority(s, label)
        size = len(s["questions"])
        share = n / size if size else 0.0
        if s["kind"] == "missing" and topic and share >= 0.6:
            if n >= 3:
                found[topic] += 1
            if size >= 2:
                fragments[topic] += 1
        if size >= 3:
            judged += 1
            if s["kind"] == "missing":
                right += bool(topic) and share >= 0.6
            else:
                answer = sum(label[q] == ("in", s["article"]) for q in s["questions"])
                right += answer / size >= 0.6
    found_topics = set(found)
    suggested = [q for s in suggestions for q in s["questions"]]
    off_topic = sum(label[q][0] == "ood" for q in suggested)

    def share(part, whole):
        return round(len(part) / len(whole), 4) if whole else 0.0

    found_fragments = [fragments[t] for t in found_topics]
    return {
        "topic_recall": share(found_topics & big, big),
        "small_topic_recall": share(found_topics & small, small),
        "precision": round(right / judged, 4) if judged else 0.0,
        "fragmentation": round(sum(found_fragments) / len(found_fragments), 4) if found_fragments else 0.0,
        "noise": round(off_topic / len(suggested), 4) if suggested else 0.0,
        "topics": len(big), "small_topics": len(small), "suggestions": len(suggestions),
        "judged": judged, "suggested_questions": len(suggested),
    }


def topic_table(suggestions: list[dict], stream: list[dict], failed: list[bool]) -> dict:
    """Per missing topic asked at least 3 times: how often it was asked, how many of those questions
    reached the gap finder (`failed[k]`: stream line k was unanswered or weakly answered), how many
    sit in a suggestion of its own, and whether it counts as found. With the ceilings: a topic can
    only be found when at least 3 of its questions reached the gap finder, so the share of such
    topics is the highest recall any clustering of this input can reach.
    """
    label = _labels(stream)
    asked = Counter(item["topic"] for item in stream if item["kind"] == "gap")
    reached = Counter(item["topic"] for item, gone in zip(stream, failed) if gone and item["kind"] == "gap")
    best: dict[str, tuple[int, int]] = {}  # topic -> (its questions, suggestion size) of its best missing one
    for s in suggestions:
        if s["kind"] != "missing" or not s["questions"]:
            continue
        topic, n = _majority(s, label)
        if topic and n / len(s["questions"]) >= 0.6 and n > best.get(topic, (0, 0))[0]:
            best[topic] = (n, len(s["questions"]))
    rows = []
    for topic, n in sorted(asked.items(), key=lambda item: (-item[1], item[0])):
        if n < 3:
            continue
        held, size = best.get(topic, (0, 0))
        rows.append({"topic": topic, "asked": n, "reached": reached[topic], "in_suggestion": held,
                     "suggestion_size": size, "found": held >= 3, "small": n < 5})

    def ceiling(small: bool) -> float:
        group = [r for r in rows if r["small"] == small]
        return round(sum(r["reached"] >= 3 for r in group) / len(group), 4) if group else 0.0

    return {"topics": rows, "ceiling_topic_recall": ceiling(False), "ceiling_small_topic_recall": ceiling(True)}


# -- the run -----------------------------------------------------------------------------------
def run_gaps_eval(set_dir, index_base="index", encoders=None, tune_model=True, progress=False,
                  cluster_settings=None, suggestion_settings=None, limit: int | None = None,
                  use_cache: bool = True) -> dict:
    """Replay the set's stream into a fresh query log, run the worker's gap job over it a day at a
    time, and score the suggestions it lists."""
    import tempfile
    from datetime import timedelta

    from kb.analytics.log import QueryLog, clean_text
    from kb.articles.parsing import load_articles
    from kb.db.engine import open_database
    from kb.gaps.finder import GapFinder
    from kb.gaps.store import GapStore
    from kb.gaps.vectors import JointVectors

    set_dir = Path(set_dir)
    if not (set_dir / "stream.jsonl").exists() or not (set_dir / "articles").is_dir():
        raise KBError(f"{set_dir} is not a gap set: it needs articles/ and stream.jsonl")
    stream = load_stream(set_dir / "stream.jsonl")[:limit]
    records = replay(set_dir, lambda: prepare_searcher(set_dir, index_base, encoders, tune_model, progress),
                     stream, use_cache=use_cache)
    articles, _ = load_articles(set_dir / "articles")
    vectors = JointVectors.of(("e5", "use"), cache_dir=REPLAY_CACHE if use_cache else None)
    with tempfile.TemporaryDirectory(prefix="kb-gaps-eval-") as folder:
        database = open_database(f"sqlite:///{Path(folder) / 'kb.sqlite3'}")
        log = QueryLog(database)
        store = GapStore(database, lambda: articles,
                         lambda kb_articles: GapFinder(kb_articles, vectors, cluster_settings, suggestion_settings))
        day = None
        for number, record in enumerate(records):  # the month, as the help centre records it
            if day is not None and record.asked_at.date() != day:
                log.flush()
                store.refresh(record.asked_at)  # the worker's run, once a day here (every 5 minutes live)
            day = record.asked_at.date()
            log.asked(visitor=record.visitor, qid=f"line-{number}", text=record.text, source="help",
                      lang=record.lang, results=record.results, no_match=record.no_match,
                      confidence=record.confidence, now=record.asked_at)
        log.flush()
        now = max(r.asked_at for r in records) + timedelta(seconds=1)
        store.refresh(now)
        suggestions = store.suggestions(now=now)
        candidates = database.run(lambda session: session.scalar(select(func.count()).select_from(GapQuestion)))
        log.close()
        database.dispose()
    # The log masks what it stores (a card number in a question): score against the same texts.
    cleaned = [{**item, "query": clean_text(item["query"])} for item in stream]
    metrics = score_suggestions(suggestions, cleaned)
    table = topic_table(suggestions, cleaned, [is_candidate(record) for record in records])
    metrics["ceiling_topic_recall"] = table["ceiling_topic_recall"]
    metrics["ceiling_small_topic_recall"] = table["ceiling_small_topic_recall"]
    metrics["set"] = set_dir.name
    metrics["questions"] = len(records)
    metrics["candidates"] = candidates
    return {"metrics": metrics, "suggestions": suggestions, "topics": table["topics"]}
