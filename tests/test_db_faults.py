"""The ticket database failing under a running service (issue 18, "Faults"): search and articles keep
answering, tickets answer 503 with a message to retry and nothing half-written, and the service
resumes by itself when the database is back. SQLite's own hazards: the file removed or replaced under
the server, and a read waiting behind an outside writer."""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import threading
import time

import pytest
from conftest import TICKET_TABLES, fake_embed, free_port, make_settings

QUESTION = {"question": "My parcel never arrived, what now?", "channel": "web"}


def ticket(number: int) -> dict:
    return dict(QUESTION, email=f"customer{number}@example.com")


class Proxy:
    """A TCP relay to the PostgreSQL server that can be stopped (the server gone: the port refuses
    and every open connection is cut) and started again on the same port."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target = target
        self.port = free_port()
        self.listener = None
        self.sockets: list[socket.socket] = []

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self):
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread: close alone would not
        self.listener.close()
        for each in self.sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            each.close()
        self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for each in (source, sink):
                try:
                    each.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def make_app(index_dir, database_url):
    from kb.app.services import Services
    from webapp import create_app

    settings = make_settings(index_dir=index_dir, database_url=database_url, rate_tickets="100000 per minute")
    services = Services(settings, duplicate_embed=fake_embed)
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "test"}, services=services), services


def assert_search_answers(client):
    assert client.get("/api/v1/search?q=how to cancel an order").status_code == 200
    assert client.get("/api/v1/articles/cancel-order").status_code == 200
    assert client.get("/search?q=отменить заказ").status_code == 200
    assert client.get("/articles/cancel-order").status_code == 200


def assert_unavailable(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and "try again" in error["message"]
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture
def empty_postgres(postgres_url):
    """The session's PostgreSQL database, migrated and emptied, reached through a `Proxy`."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from kb.db.engine import open_database

    with open_database(postgres_url).engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {TICKET_TABLES} RESTART IDENTITY CASCADE"))
        connection.execute(text("UPDATE counters SET value = 0"))
    proxy = Proxy()
    yield proxy, make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    if proxy.listener is not None and proxy.listener.fileno() != -1:
        proxy.stop()


@pytest.fixture
def quick_retry(monkeypatch):
    import kb.app.services

    monkeypatch.setattr(kb.app.services, "OPEN_RETRY", 0.0, raising=False)


def test_serving_starts_without_the_database_and_resumes_when_it_is_back(sample_index, quick_retry,
                                                                        empty_postgres):
    """`kb serve`'s warm-up with PostgreSQL stopped: it starts, says why, serves search and articles,
    answers tickets 503, and takes tickets as soon as the server is back, without a restart."""
    proxy, url = empty_postgres
    app, services = make_app(sample_index, url)
    lines = []
    services.warm_up(log=lines.append)  # the database is down: no exception
    assert any("database cannot be opened" in line for line in lines), lines
    client = app.test_client()
    assert_search_answers(client)
    assert_unavailable(client.post("/api/v1/tickets", json=ticket(1)))
    health = client.get("/api/v1/health").get_json()
    assert health["status"] == "degraded" and "try again" in health["database"]

    proxy.start()
    created = client.post("/api/v1/tickets", json=ticket(2))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["number"] == 1
    assert client.get("/api/v1/health").get_json()["status"] == "ok"


def test_postgresql_gone_at_run_time(sample_index, postgres_url, empty_postgres, quick_retry):
    """PostgreSQL stops under a running server: search keeps answering (the query log's writer drops
    its events aside), tickets answer 503 and nothing is half-written; back, it resumes by itself."""
    from sqlalchemy import create_engine, func, select

    from kb.desk.tables import Ticket, TicketEvent

    proxy, url = empty_postgres
    proxy.start()
    app, services = make_app(sample_index, url)
    client = app.test_client()
    first = client.post("/api/v1/tickets", json=ticket(1))
    assert first.status_code == 201

    proxy.stop()
    started = time.monotonic()
    assert_search_answers(client)
    for number in range(2, 5):
        assert_unavailable(client.post("/api/v1/tickets", json=ticket(number)))
    assert_unavailable(client.get(f"/api/v1/tickets/{first.get_json()['token']}"))
    assert client.get("/api/v1/health").get_json()["status"] == "degraded"
    services.questions.flush(10)  # the log's writer failed aside, never in a request
    assert time.monotonic() - started < 10

    proxy.start()
    again = client.post("/api/v1/tickets", json=ticket(5))
    assert again.status_code == 201, again.get_data(as_text=True)
    assert again.get_json()["number"] == 2  # the refused ones took no number
    assert client.get("/api/v1/health").get_json()["status"] == "ok"
    direct = create_engine(postgres_url)
    with direct.connect() as connection:
        tickets = connection.scalar(select(func.count()).select_from(Ticket))
        events = connection.scalar(select(func.count()).select_from(TicketEvent))
    direct.dispose()
    assert tickets == 2 and events == 2  # nothing of the refused ones was written


def test_sqlite_that_cannot_be_opened_at_start_then_can(sample_index, tmp_path, quick_retry):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the database's folder should be")
    app, services = make_app(sample_index, f"sqlite:///{blocker / 'kb.sqlite'}")
    services.warm_up(log=lambda line: None)
    client = app.test_client()
    assert_search_answers(client)
    assert_unavailable(client.post("/api/v1/tickets", json=ticket(1)))

    blocker.unlink()
    assert client.post("/api/v1/tickets", json=ticket(2)).status_code == 201


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_sqlite_file_removed_under_the_server_is_refused_not_lost(tmp_path, sqlite_template, how):
    """Deleting (or swapping) the file under a running server: every later ticket answered 201 would
    have gone into an unlinked file and been lost at the restart, numbering from 1 again."""
    path = tmp_path / "kb.sqlite"
    shutil.copy(sqlite_template, path)
    app, _ = make_app(tmp_path / "no-index", f"sqlite:///{path}")
    client = app.test_client()
    assert client.post("/api/v1/tickets", json=ticket(1)).status_code == 201

    for leftover in tmp_path.glob("kb.sqlite*"):
        leftover.unlink()
    if how == "replaced":
        shutil.copy(sqlite_template, path)  # a backup restored in place, say
    assert_unavailable(client.post("/api/v1/tickets", json=ticket(2)))
    from kb.errors import Unavailable

    with pytest.raises(Unavailable, match="removed or replaced"):
        app.extensions["kb"].database.ping()
    if how == "replaced":
        with sqlite3.connect(path) as outside:
            assert outside.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_health_says_when_the_sqlite_file_is_gone(sample_index, tmp_path, sqlite_template):
    path = tmp_path / "kb.sqlite"
    shutil.copy(sqlite_template, path)
    app, _ = make_app(sample_index, f"sqlite:///{path}")
    client = app.test_client()
    assert client.get("/api/v1/health").get_json()["status"] == "ok"
    os.unlink(path)
    health = client.get("/api/v1/health")
    assert health.status_code == 200  # search still answers
    assert health.get_json()["status"] == "degraded" and "removed or replaced" in health.get_json()["database"]
    assert_search_answers(client)


def test_a_read_does_not_wait_behind_an_outside_writer(tmp_path, sqlite_template):
    """Only transactions that write take SQLite's write lock: with another process holding it (here a
    plain sqlite3 connection), the status page still answers at once (WAL lets readers through)."""
    path = tmp_path / "kb.sqlite"
    shutil.copy(sqlite_template, path)
    app, services = make_app(tmp_path / "no-index", f"sqlite:///{path}")
    client = app.test_client()
    token = client.post("/api/v1/tickets", json=ticket(1)).get_json()["token"]

    outside = sqlite3.connect(path, isolation_level=None)
    outside.execute("BEGIN IMMEDIATE")
    outside.execute("UPDATE counters SET value = value")
    try:
        answers = {}

        def read():
            answers["api"] = client.get(f"/api/v1/tickets/{token}").status_code
            answers["page"] = client.get(f"/tickets/{token}").status_code
            answers["list"] = len(services.desk.list_tickets())

        reader = threading.Thread(target=read, daemon=True)
        started = time.monotonic()
        reader.start()
        reader.join(5)
        took = time.monotonic() - started
        assert not reader.is_alive(), "the read waited for the outside writer's lock"
        assert answers == {"api": 200, "page": 200, "list": 1} and took < 2
    finally:
        outside.execute("ROLLBACK")
        outside.close()


def test_read_only_work_cannot_write(db_url):
    """A read transaction is a read transaction: PostgreSQL refuses a write in it; SQLite's plain BEGIN
    takes no lock until it writes."""
    from sqlalchemy import text

    from kb.db.engine import open_database

    database = open_database(db_url)
    assert database.run(lambda s: s.execute(text("SELECT value FROM counters")).all(), write=False)
    if not database.is_sqlite:
        from sqlalchemy.exc import InternalError

        with pytest.raises(InternalError, match="read-only"):
            database.run(lambda s: s.execute(text("UPDATE counters SET value = value")), write=False)
