"""The running product's parts, built from the settings once per process and shared by the web
app, the `kb` command and the worker: the one place that joins the parts (search, the desk,
analytics, the gap finder).

Everything here is lazy: building `Services` reads no file and loads no model; `warm_up` does
that on purpose, in `kb serve` and `kb worker`, before the first customer arrives.
"""
from __future__ import annotations

import threading
import time

from kb.config import Settings
from kb.errors import Unavailable

OPEN_RETRY = 2.0  # seconds between attempts to open a database that could not be opened


class Services:
    def __init__(self, settings: Settings, *, duplicate_embed=None):
        self.settings = settings
        self._duplicate_embed = duplicate_embed  # tests bring a stand-in; otherwise the e5 model
        self._lock = threading.Lock()
        self._database = None
        self._database_retry_at = 0.0
        self._database_problem = ""
        self._desk = None
        self._votes = None
        self._questions = None
        self._gaps = None

    @property
    def searcher(self):
        """The serving index build; a new `kb index` build is picked up on the next call."""
        from kb.search.searcher import get_searcher

        return get_searcher(self.settings.index_dir)

    @property
    def database(self):
        """The database (tickets, votes), migrated to the newest schema on first use. One that
        cannot be opened is `Unavailable` (a 503), tried again at most every OPEN_RETRY seconds."""
        with self._lock:
            if self._database is None:
                from kb.db.engine import open_database

                if time.monotonic() < self._database_retry_at:
                    raise Unavailable(self._database_problem)
                try:
                    self._database = open_database(self.settings.database_url)
                except Unavailable as exc:
                    self._database_retry_at = time.monotonic() + OPEN_RETRY
                    self._database_problem = exc.message
                    raise
            return self._database

    def database_problem(self) -> str | None:
        """What keeps the database from answering now (health shows it), or None."""
        try:
            self.database.ping()
        except Unavailable as exc:
            return exc.message
        return None

    @property
    def desk(self):
        database = self.database
        with self._lock:
            if self._desk is None:
                from kb.desk.desk import Desk
                from kb.desk.rules import TicketRules

                self._desk = Desk(database, TicketRules.from_settings(self.settings), embed=self.duplicate_embed)
            return self._desk

    @property
    def votes(self):
        """The "Was this helpful?" votes, in the same database as the tickets."""
        database = self.database
        with self._lock:
            if self._votes is None:
                from kb.analytics.votes import Votes

                from kb.analytics.masking import mask

                self._votes = Votes(database, mask=mask)  # the question is stored masked, like the query log's
            return self._votes

    @property
    def questions(self):
        """The query log: every question asked, masked, written by a background thread. Opening it
        opens no database: its writer does, so a search never waits on the log."""
        with self._lock:
            if self._questions is None:
                from kb.analytics.log import QueryLog

                self._questions = QueryLog(lambda: self.database)
            return self._questions

    @property
    def gaps(self):
        """The gap finder's suggestions (kb.gaps.store), over the serving build's articles. Reading
        them loads no model; `refresh()` (the worker's job) loads e5 and USE."""
        database = self.database
        with self._lock:
            if self._gaps is None:
                from kb.gaps.store import GapStore

                self._gaps = GapStore(database, lambda: self.searcher.articles, _gap_finder)
            return self._gaps

    def duplicate_embed(self, texts):
        """Unit vectors for the desk's duplicate check, from the search encoders."""
        if self._duplicate_embed is None:
            from kb.search.encoders import get_embedder

            self._duplicate_embed = get_embedder(self.settings.duplicate_embedder).encode
        return self._duplicate_embed(texts)

    def warm_up(self, log=print) -> None:
        """Load the index and models and open the database now, so the first customer does not wait."""
        from kb.errors import IndexBroken, IndexMissing

        try:
            self.database  # noqa: B018 (migrates before the first request)
        except Unavailable as exc:  # search serves anyway; tickets answer 503 until the database is back
            cause = str(exc.__cause__ or exc.message).splitlines()[0]
            log(f"the database cannot be opened now ({cause}): search and articles are served; "
                "tickets answer 503 until it can be, tried again every few seconds")
        try:
            searcher = self.searcher
        except IndexBroken:  # get_searcher logged it; the server starts: search 503, the ticket pages work
            return
        except IndexMissing:
            log(f"no index in {self.settings.index_dir} yet: run `kb index`")
            return
        # Loading is not enough: each encoder's first question still took 1.6 s in all.
        for question in ("warm up", "прогрев"):  # the English and the Russian path
            searcher.search(question)


def _gap_finder(articles):
    from kb.gaps.finder import GapFinder
    from kb.gaps.vectors import JointVectors

    return GapFinder(articles, JointVectors.of(("e5", "use")))
