"""Load test: many users against a running `kb serve`, for a bounded time, counted per kind of request.

Each simulated visitor asks a question the way the help centre sends it (a search per few
keystrokes, then the whole question), opens the first article, votes on some, and now and then
sends a question to the desk through the API; each simulated operator signs in and searches the
console. At the end every ticket the server confirmed (201) is looked up in the database: a lost one
is an error. Prints p50/p95/p99 latency and throughput per kind of request as a Markdown table.

    kb serve --port 8800 &                                  # the server under test (sample articles)
    python tools/load_test.py --url http://127.0.0.1:8800 --users 50 --seconds 60 \\
        --database sqlite:///instance/kb.sqlite3 --operator load:load-test-password

    python tools/load_test.py ... --ramp 10,20,40,80        # searches/s sustained before p95 > 100 ms

Rate limits are per client address and every simulated user comes from 127.0.0.1: run the server
with the limits raised (KB_RATE_SEARCH etc., README "Configuration").
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict

import requests

QUESTIONS = [
    "how do I return an item", "where is my parcel", "can I change my delivery address", "refund has not arrived",
    "как вернуть товар", "где мой заказ", "не пришёл возврат денег", "как изменить адрес доставки",
    "my card was declined", "how long does delivery take", "сколько стоит доставка", "промокод не работает",
    "can I pay in instalments", "как потратить бонусные баллы", "the courier did not come", "заказ пришёл повреждённым",
]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ARTICLE = re.compile(r'href="/articles/([^"?]+)\?')


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.tickets: list[int] = []

    def timed(self, kind: str, send, url: str, ok=(200,), **kwargs):
        """`send(url, **kwargs)` (a session's get or post), timed and checked."""
        start = time.perf_counter()
        try:
            response = send(url, timeout=30, **kwargs)
        except requests.RequestException as exc:
            with self.lock:
                self.errors[kind].append(type(exc).__name__)
            return None
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            self.times[kind].append(elapsed)
            if response.status_code not in ok:
                self.errors[kind].append(str(response.status_code))
        return response


def visitor(base: str, stats: Stats, stop: threading.Event, number: int, ticket_share: float) -> None:
    session = requests.Session()
    rng = random.Random(number)
    session.get(f"{base}/", timeout=30)
    n = 0
    while not stop.is_set():
        n += 1
        question = rng.choice(QUESTIONS)
        qid = f"u{number}q{n}"
        cuts = sorted({max(3, len(question) * k // 4) for k in (1, 2, 3)}) + [len(question)]
        page = None
        for cut in cuts:  # as typed: a request every few keys, the whole question last
            page = stats.timed("search (as you type)", session.get, f"{base}/search/results",
                               params={"q": question[:cut], "qid": qid})
        found = ARTICLE.findall(page.text) if page is not None and page.status_code == 200 else []
        if found:
            article = stats.timed("article", session.get, f"{base}/articles/{found[0]}",
                                  params={"q": question, "pos": 1})
            token = CSRF.search(article.text) if article is not None and article.status_code == 200 else None
            if token and rng.random() < 0.3:
                stats.timed("vote", session.post, f"{base}/articles/{found[0]}/vote", ok=(200, 303),
                            data={"csrf_token": token.group(1), "helpful": rng.choice(("yes", "no")), "q": question,
                                  "pos": "1"}, allow_redirects=False)
        if rng.random() < ticket_share:
            answer = stats.timed("ticket (API)", session.post, f"{base}/api/v1/tickets", ok=(201, 200), json={
                "question": f"{question} (load {number}-{n})", "email": f"load{number}-{n}@example.com"})
            if answer is not None and answer.status_code == 201:
                with stats.lock:
                    stats.tickets.append(answer.json()["number"])
        time.sleep(rng.uniform(0.2, 1.0))  # reading


def operator(base: str, stats: Stats, stop: threading.Event, number: int, login: str, password: str) -> None:
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=30)
    token = CSRF.search(form.text)
    signed = session.post(f"{base}/login", data={"csrf_token": token.group(1) if token else "", "login": login,
                                                 "password": password}, allow_redirects=False, timeout=30)
    if signed.status_code not in (302, 303):
        stats.errors["console sign-in"].append(str(signed.status_code))
        return
    rng = random.Random(1000 + number)
    while not stop.is_set():
        question = rng.choice(QUESTIONS)
        stats.timed("console search", session.get, f"{base}/console/results", params={"q": question})
        time.sleep(rng.uniform(0.5, 2.0))  # talking to the customer


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(base: str, users: int, seconds: float, operators: int, login: str | None, password: str | None,
        ticket_share: float) -> Stats:
    stats, stop = Stats(), threading.Event()
    threads = [threading.Thread(target=visitor, args=(base, stats, stop, n, ticket_share), daemon=True)
               for n in range(users - (operators if login else 0))]
    if login:
        threads += [threading.Thread(target=operator, args=(base, stats, stop, n, login, password), daemon=True)
                    for n in range(operators)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    stats.seconds = seconds
    return stats


def report(stats: Stats) -> str:
    lines = ["| request | count | per second | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|"]
    for kind in sorted(set(stats.times) | set(stats.errors)):
        values = stats.times.get(kind) or [0.0]
        lines.append(f"| {kind} | {len(stats.times.get(kind, []))} | {len(stats.times.get(kind, [])) / stats.seconds:.1f}"
                     f" | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} | {percentile(values, 0.99):.0f}"
                     f" | {len(stats.errors.get(kind, []))} |")
    return "\n".join(lines)


def count_tickets(database_url: str, numbers: list[int]) -> int:
    """How many of the confirmed ticket numbers are in the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = {row[0] for row in connection.execute(text("SELECT number FROM tickets"))}
    engine.dispose()
    return len(set(numbers) & stored)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8800")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--operators", type=int, default=5, help="of the users, operators at the console")
    parser.add_argument("--operator", help="LOGIN:PASSWORD of an operator account for the console users")
    parser.add_argument("--tickets", type=float, default=0.05, help="share of questions sent to the desk")
    parser.add_argument("--database", help="KB_DATABASE_URL of the server: count the confirmed tickets in it")
    parser.add_argument("--ramp", help="comma-separated user counts: searches/s and p95 at each, no other requests")
    args = parser.parse_args(argv)
    login, password = (args.operator.split(":", 1) if args.operator else (None, None))
    if args.ramp:
        print("| users | searches per second | p95 ms | errors |\n|---|---|---|---|")
        for users in (int(u) for u in args.ramp.split(",")):
            stats = run(args.url, users, args.seconds, 0, None, None, 0.0)
            values = stats.times.get("search (as you type)", [0.0])
            print(f"| {users} | {len(values) / args.seconds:.1f} | {percentile(values, 0.95):.0f} | "
                  f"{sum(len(e) for e in stats.errors.values())} |", flush=True)
        return 0
    stats = run(args.url, args.users, args.seconds, args.operators, login, password, args.tickets)
    print(report(stats))
    errors = sum(len(e) for e in stats.errors.values())
    print(f"\n{args.users} users for {args.seconds:g} s: {sum(len(t) for t in stats.times.values())} requests, "
          f"{errors} errors, {len(stats.tickets)} tickets confirmed", end="")
    lost = 0
    if args.database:
        stored = count_tickets(args.database, stats.tickets)
        lost = len(stats.tickets) - stored
        print(f", {stored} of them in the database ({lost} lost)")
    else:
        print()
    return 1 if errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
