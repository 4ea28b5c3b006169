"""The query log: every question asked in the help centre, the console and the API, with what the
search answered and what came of it (the article opened, the vote, the ticket).

Written off the request's hot path: `asked`, `opened`, `voted` and `ticket` only put an event on a
queue (never blocking: a full queue drops the event); one daemon thread writes the queue in
batches, one transaction each. `flush()` waits until everything queued so far is written (tests,
`kb` commands); at exit the queue is flushed too.

A question is one row per (visitor, qid): the help centre's page sends the same `qid` with every
keystroke of one question, so the row is upserted and the last text wins. The writer holds a
question back until it has settled (no newer text for SETTLE seconds, or an open, vote or ticket of
that visitor, or a flush), so the half-typed prefixes of a question, a phone number's first digits
among them, never reach the database at all. An open, a vote or a
ticket finds its row by (visitor, qid), or, when the page had no qid to give, by the visitor's
newest row of the same (masked) text.

Texts are masked (kb.analytics.masking) before they are queued; visitors are the callers' salted
hashes (`visitor_ref`), never an address.

Reading: `between(since, until)` yields the rows as dicts (the gap work reads them); `daily()` the
per-day counts, from the rows and, for days past retention, from `question_days`; `prune()` is the
retention job's work.
"""
from __future__ import annotations

import atexit
import hashlib
import hmac
import ipaddress
import queue
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from time import monotonic as _monotonic

from sqlalchemy import delete, select

from kb.analytics.masking import mask
from kb.analytics.tables import SOURCES, Question, QuestionDay

MAX_TEXT = 500
MAX_QID = 40
TOP = 5  # results kept per question
BATCH = 500
SETTLE = 2.5  # seconds without a newer text before a typed question is written


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def visitor_ref(secret: str, ident: str) -> str:
    """The stored reference of a visitor: an HMAC of their random browser id, salted with the secret key."""
    return hmac.new(secret.encode(), ident.encode(), hashlib.sha256).hexdigest()[:32]


def network_ref(secret: str, address: str) -> str:
    """The stored reference of where a question came from: an HMAC, salted with the secret key, of
    the address (an IPv6 address by its /64, which one household or phone holds whole)."""
    try:
        parsed = ipaddress.ip_address(address)
        if parsed.version == 6 and parsed.ipv4_mapped is None:
            address = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
        elif parsed.version == 6:
            address = str(parsed.ipv4_mapped)
    except ValueError:
        pass
    return hmac.new(secret.encode(), f"network:{address}".encode(), hashlib.sha256).hexdigest()[:32]


def clean_text(text: str) -> str:
    return mask(" ".join((text or "").split())[:MAX_TEXT])


def time_now() -> float:
    return _monotonic()


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


_STOP = object()


class QueryLog:
    """The log of one database; `database` may be a Database or a function returning one (so a
    request never opens the database for the log: the writer thread does)."""

    def __init__(self, database, *, maxsize: int = 10_000, log: Callable[[str], None] | None = None):
        self._database = database
        self._queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.dropped = 0
        ref = weakref.ref(self)
        atexit.register(lambda: (lambda me: me and me.close())(ref()))

    @property
    def db(self):
        if callable(self._database) and not hasattr(self._database, "run"):
            self._database = self._database()
        return self._database

    # --- writing: events on the queue -----------------------------------------------------------
    def _put(self, event: dict) -> None:
        self._start()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def asked(self, *, visitor: str, qid: str, text: str, source: str, lang: str | None, results, no_match: bool,
              confidence: float, network: str | None = None, now: datetime | None = None) -> None:
        """A search: `results` is [(article_id, confidence), ...] best first (the first 5 are kept);
        `network`, the asker's address as `network_ref` hashes it."""
        text = clean_text(text)
        if not text or source not in SOURCES:
            return
        self._put({"kind": "asked", "visitor": visitor[:80], "network": network and network[:32],
                   "qid": qid[:MAX_QID], "text": text,
                   "source": source, "lang": (lang or None) and lang[:2], "no_match": bool(no_match),
                   "confidence": float(confidence),
                   "results": [[str(a), round(float(c), 4)] for a, c in list(results)[:TOP]],
                   "at": _naive(now) if now else utcnow()})

    def opened(self, *, visitor: str, article_id: str, qid: str | None = None, text: str | None = None,
               position: int | None = None, now: datetime | None = None) -> None:
        self._mark(visitor, qid, text, now, opened=str(article_id)[:200], opened_pos=position)

    def voted(self, *, visitor: str, article_id: str, helpful: bool, qid: str | None = None,
              text: str | None = None, now: datetime | None = None) -> None:
        self._mark(visitor, qid, text, now, vote=bool(helpful), article=str(article_id)[:200])

    def ticket(self, *, visitor: str, number: int, qid: str | None = None, text: str | None = None,
               now: datetime | None = None) -> None:
        self._mark(visitor, qid, text, now, ticket=int(number))

    def _mark(self, visitor, qid, text, now, **values) -> None:
        text = clean_text(text) if text else None
        if not visitor or not (qid or text):
            return
        self._put({"kind": "mark", "visitor": visitor[:80], "qid": qid[:MAX_QID] if qid else None, "text": text,
                   "at": _naive(now) if now else utcnow(), **values})

    # --- the writer thread ------------------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="kb-query-log", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        held: dict[tuple, tuple[float, dict]] = {}  # (visitor, qid) -> (arrived, the newest "asked")
        while True:
            due = min((arrived + SETTLE for arrived, _ in held.values()), default=None)
            try:
                first = self._queue.get(timeout=None if due is None else max(0.0, due - time_now()))
            except queue.Empty:
                first = None
            batch = [] if first is None else [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            now, events = time_now(), []
            everything = any(not isinstance(item, dict) for item in batch)  # a flush or the stop
            for item in batch:
                if not isinstance(item, dict):
                    continue
                if item["kind"] == "asked":
                    key = (item["visitor"], item["qid"])
                    if key in held:  # the same question typed on: the newest text, the first time
                        before = held[key][1]
                        item = {**item, "first": before.get("first", before["at"])}
                    held[key] = (now, item)
                    continue
                # An open, vote or ticket: the visitor's questions first, so it finds its row.
                for key in [k for k in held if k[0] == item["visitor"]]:
                    events.append(held.pop(key)[1])
                events.append(item)
            for key in [k for k, (arrived, _) in held.items() if everything or now - arrived >= SETTLE]:
                events.append(held.pop(key)[1])
            if events:
                events.sort(key=lambda e: e["kind"] != "asked")  # rows before the marks that find them
                try:
                    self.db.run(self._write, events)
                except Exception as exc:  # noqa: BLE001 (the log must never take the site down)
                    self._log(f"query log: {len(events)} event(s) not written: {type(exc).__name__}: {exc}")
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if any(item is _STOP for item in batch):
                return

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every event queued before this call is written; False on timeout."""
        if self._thread is None or not self._thread.is_alive():
            return self._queue.empty()
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued and stop the thread (at exit)."""
        if self._thread is not None and self._thread.is_alive():
            self.flush(timeout)
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _write(self, session, events: list[dict]) -> None:
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
        # The keystrokes of one question in a row: only the last is written (the first's time kept).
        merged: list[dict] = []
        for event in events:
            last = merged[-1] if merged else None
            if (event["kind"] == "asked" and last is not None and last["kind"] == "asked"
                    and (last["visitor"], last["qid"]) == (event["visitor"], event["qid"])):
                merged[-1] = {**event, "first": last.get("first", last["at"])}
            else:
                merged.append(event)
        for event in merged:
            if event["kind"] == "asked":
                values = {k: event.get(k) for k in ("visitor", "network", "qid", "text", "source", "lang",
                                                    "no_match", "confidence", "results")}
                statement = insert(Question).values(**values, asked_at=event.get("first", event["at"]),
                                                    updated_at=event["at"])
                changed = {k: statement.excluded[k] for k in ("text", "lang", "no_match", "confidence", "results",
                                                               "updated_at")}
                session.execute(statement.on_conflict_do_update(index_elements=["visitor", "qid"], set_=changed))
            else:
                self._write_mark(session, event)

    @staticmethod
    def _write_mark(session, event: dict) -> None:
        mine = select(Question).where(Question.visitor == event["visitor"])
        newest = (Question.asked_at.desc(), Question.id.desc())
        row = None
        if event["qid"]:
            row = session.scalars(mine.where(Question.qid == event["qid"])).first()
        if row is None and event["text"]:  # no qid, or one the log never saw: the newest of that text
            row = session.scalars(mine.where(Question.text == event["text"]).order_by(*newest).limit(1)).first()
        if row is None:
            return
        if "opened" in event:
            row.opened = event["opened"]
            position = event.get("opened_pos")
            if position is None:
                ids = [r[0] for r in row.results or []]
                position = ids.index(event["opened"]) + 1 if event["opened"] in ids else None
            row.opened_pos = position
        if "vote" in event:
            row.vote = event["vote"]
            if row.opened is None:
                row.opened = event["article"]
        if "ticket" in event:
            row.ticket = event["ticket"]
        row.updated_at = max(row.updated_at, event["at"])
        session.flush()

    # --- reading ------------------------------------------------------------------------------------
    def between(self, since: datetime | None = None, until: datetime | None = None) -> Iterator[dict]:
        """The questions asked in [since, until), oldest first, as dicts: id, text, lang, source, visitor, network,
        asked_at, updated_at, no_match, confidence, results [(article_id, confidence), ...], opened,
        opened_pos, vote (True/False/None), ticket (number or None)."""
        query = select(Question).order_by(Question.asked_at, Question.id)
        if since is not None:
            query = query.where(Question.asked_at >= _naive(since))
        if until is not None:
            query = query.where(Question.asked_at < _naive(until))

        def read(session) -> list[dict]:
            return [{"id": q.id, "text": q.text, "lang": q.lang, "source": q.source, "visitor": q.visitor, "network": q.network,
                     "asked_at": q.asked_at, "updated_at": q.updated_at, "no_match": q.no_match,
                     "confidence": q.confidence, "results": [(a, c) for a, c in q.results or []],
                     "opened": q.opened, "opened_pos": q.opened_pos, "vote": q.vote, "ticket": q.ticket}
                    for q in session.scalars(query)]

        yield from self.db.run(read, write=False)

    def daily(self, since: date | None = None, until: date | None = None) -> list[dict]:
        """Counts per (day, source, lang) in [since, until): asked, answered, no_match, opened, helpful,
        not_helpful; the kept counts of pruned days plus the rows still there."""
        start = datetime.combine(since, time()) if since else None
        end = datetime.combine(until, time()) if until else None
        totals: dict[tuple, dict] = {}
        for row in self.between(start, end):
            _add(totals, row["asked_at"].date(), row["source"], row["lang"] or "", _counts(row))

        def read(session):
            query = select(QuestionDay)
            if since:
                query = query.where(QuestionDay.day >= since)
            if until:
                query = query.where(QuestionDay.day < until)
            return [(d.day, d.source, d.lang, {k: getattr(d, k) for k in COUNTS}) for d in session.scalars(query)]

        for day, source, lang, counts in self.db.run(read, write=False):
            _add(totals, day, source, lang, counts)
        return [{"day": day, "source": source, "lang": lang, **counts}
                for (day, source, lang), counts in sorted(totals.items())]

    # --- retention --------------------------------------------------------------------------------
    def prune(self, days: int, now: datetime | None = None) -> int:
        """Delete the rows of days older than `days` days (whole days, UTC), keeping their counts in
        question_days; returns how many rows went."""
        now = _naive(now) if now else utcnow()
        cutoff = datetime.combine((now - timedelta(days=days)).date(), time())

        def work(session) -> int:
            rows = session.execute(select(Question.asked_at, Question.source, Question.lang, Question.no_match,
                                          Question.opened, Question.vote, Question.ticket)
                                   .where(Question.asked_at < cutoff)).all()
            if not rows:
                return 0
            totals: dict[tuple, dict] = {}
            for asked_at, source, lang, no_match, opened, vote, ticket in rows:
                _add(totals, asked_at.date(), source, lang or "", _counts(
                    {"no_match": no_match, "opened": opened, "vote": vote, "ticket": ticket}))
            for (day, source, lang), counts in totals.items():
                kept = session.get(QuestionDay, (day, source, lang))
                if kept is None:
                    session.add(QuestionDay(day=day, source=source, lang=lang, **counts))
                else:
                    for key, value in counts.items():
                        setattr(kept, key, getattr(kept, key) + value)
            session.execute(delete(Question).where(Question.asked_at < cutoff))
            return len(rows)

        return self.db.run(work)


COUNTS = ("asked", "answered", "no_match", "opened", "helpful", "not_helpful")


def answered(row: dict) -> bool:
    """Whether a question was answered: the search gave an answer and the visitor took it, neither
    voting it "not helpful" nor asking a person after it (a ticket marks the question it followed).
    A confidently wrong answer is not an answer; every figure of "answered" counts this way."""
    return not row["no_match"] and row["vote"] is not False and row["ticket"] is None


def _counts(row: dict) -> dict:
    return {"asked": 1, "answered": int(answered(row)), "no_match": int(bool(row["no_match"])),
            "opened": int(row["opened"] is not None), "helpful": int(row["vote"] is True),
            "not_helpful": int(row["vote"] is False)}


def _add(totals: dict, day, source, lang, counts: dict) -> None:
    slot = totals.setdefault((day, source, lang), dict.fromkeys(COUNTS, 0))
    for key in COUNTS:
        slot[key] += counts[key]

