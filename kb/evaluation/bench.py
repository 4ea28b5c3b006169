"""`kb bench`: time index builds, a one-article rebuild, search latency and memory; write a table.

The knowledge bases are synthetic: articles are put together from small word lists
(intent × product × brand × model) with a fixed seed, so every run indexes the same texts.
"""
from __future__ import annotations

import itertools
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

SEED = 1234
RU_SHARE = 0.6
OFF_TOPIC_SHARE = 0.2
WARM_UP = 5
BRANDS = ["Nova", "Orion", "Vega", "Polar", "Atlas", "Lumo", "Kite", "Zenit", "Terra", "Flux"]
MODELS = ["S", "Pro", "Mini", "Max"]

# Russian nouns change with case, so each product comes as (nominative, genitive, accusative).
RU_PRODUCTS = [
    ("смартфон", "смартфона", "смартфон"), ("ноутбук", "ноутбука", "ноутбук"), ("планшет", "планшета", "планшет"),
    ("телевизор", "телевизора", "телевизор"), ("пылесос", "пылесоса", "пылесос"), ("чайник", "чайника", "чайник"),
    ("кофемашина", "кофемашины", "кофемашину"), ("микроволновка", "микроволновки", "микроволновку"),
    ("стиральная машина", "стиральной машины", "стиральную машину"), ("колонка", "колонки", "колонку"),
    ("фен", "фена", "фен"), ("утюг", "утюга", "утюг"), ("холодильник", "холодильника", "холодильник"),
    ("монитор", "монитора", "монитор"), ("роутер", "роутера", "роутер"), ("принтер", "принтера", "принтер"),
    ("электросамокат", "электросамоката", "электросамокат"), ("блендер", "блендера", "блендер"),
    ("мультиварка", "мультиварки", "мультиварку"), ("видеокамера", "видеокамеры", "видеокамеру"),
]
EN_PRODUCTS = ["smartphone", "laptop", "tablet", "TV", "vacuum cleaner", "kettle", "coffee machine", "microwave",
               "washing machine", "speaker", "hair dryer", "iron", "fridge", "monitor", "router", "printer",
               "e-scooter", "blender", "slow cooker", "camera"]
PRODUCTS = {"ru": RU_PRODUCTS, "en": [(p, p, p) for p in EN_PRODUCTS]}

# Each intent: key, tags, title, four other questions, the answer's first sentence, and a
# paraphrase used as a search query (worded unlike the title and the questions).
INTENTS = {"ru": [
    ("return", ["returns"], "Как вернуть {acc} {name}?",
     ["Хочу сдать {acc} {name} обратно", "Возврат {gen} {name}: какие нужны документы",
      "Можно ли вернуть {acc} {name} без коробки", "Куда отнести {acc} {name} для возврата"],
     "Оформите возврат в **Личный кабинет → Заказы → Вернуть товар** и отнесите {acc} {name} в любой пункт выдачи.",
     "верните деньги за {acc} {name}"),
    ("no-power", ["warranty"], "{Nom} {name} не включается, что делать?",
     ["{Nom} {name} не реагирует на кнопку питания", "Не запускается {nom} {name}",
      "{Nom} {name} не включается даже после зарядки", "Что делать, если {nom} {name} не работает из коробки"],
     "Подключите {acc} {name} к другой розетке и подержите кнопку питания 10 секунд.",
     "{nom} {name} не подаёт признаков жизни"),
    ("repair", ["warranty"], "Как сдать {acc} {name} в гарантийный ремонт?",
     ["Гарантия на {acc} {name}: сколько длится", "Где отремонтировать {acc} {name} по гарантии",
      "Поломка {gen} {name}: ремонт бесплатный?", "Сервисный центр для {gen} {name}"],
     "Создайте заявку на ремонт в **Личный кабинет → Заказы**, и курьер бесплатно заберёт {acc} {name}.",
     "куда нести {acc} {name} чинить"),
    ("delivery", ["delivery"], "Когда привезут {acc} {name}?",
     ["Сколько ждать доставку {gen} {name}", "Срок доставки {gen} {name} в регионы",
      "Можно ли ускорить доставку {gen} {name}", "Как отследить заказ на {acc} {name}"],
     "Дата доставки {gen} {name} указана в карточке заказа, там же есть трек-номер.",
     "где мой заказ, {acc} {name} до сих пор не привезли"),
    ("installments", ["payment"], "Можно ли купить {acc} {name} в рассрочку?",
     ["Рассрочка на {acc} {name} без переплаты", "Как оплатить {acc} {name} частями",
      "Кредит на покупку {gen} {name}", "Оплата {gen} {name} долями"],
     "Да: выберите «Рассрочка» при оформлении заказа на {acc} {name} — без переплаты на срок до {months} мес.",
     "{nom} {name} в кредит без процентов"),
    ("contents", ["catalog"], "Что входит в комплект {gen} {name}?",
     ["Комплектация {gen} {name}", "Есть ли зарядка в коробке {gen} {name}",
      "В коробке {gen} {name} нет инструкции", "Чего не хватает в комплекте {gen} {name}"],
     "Полная комплектация {gen} {name} указана на вкладке «Характеристики» в карточке товара.",
     "что лежит в коробке {gen} {name}"),
    ("price-drop", ["payment", "promo"], "Цена на {acc} {name} снизилась после покупки — вернут разницу?",
     ["Компенсация разницы в цене за {acc} {name}", "Купил {acc} {name}, а сейчас цена ниже",
      "Снижение цены на {acc} {name} после заказа", "Вернут ли деньги, если {nom} {name} теперь стоит дешевле"],
     "Если цена на {acc} {name} снизилась в течение {days} дней после покупки, вернём разницу баллами.",
     "на {acc} {name} упала цена, вернут разницу?"),
    ("damaged", ["returns", "delivery"], "{Acc} {name} привезли с повреждениями, что делать?",
     ["Курьер доставил {acc} {name} с царапинами", "Коробка {gen} {name} помята, внутри трещина",
      "Обмен {gen} {name} с дефектом после доставки", "Как заменить {acc} {name} с браком"],
     "Сфотографируйте {acc} {name} и упаковку и оформите обмен в чате поддержки — замену привезём бесплатно.",
     "{acc} {name} доставили с трещиной"),
], "en": [
    ("return", ["returns"], "How do I return my {name} {nom}?",
     ["I want to send back the {name} {nom}", "Return policy for the {name} {nom}",
      "Can I return the {name} {nom} without the box", "Where do I drop off my {name} {nom} for a refund"],
     "Start a return in **My Account → Orders → Return item** and drop the {name} {nom} at any pickup point.",
     "refund for {name} {nom} please"),
    ("no-power", ["warranty"], "My {name} {nom} won't turn on, what should I do?",
     ["{name} {nom} doesn't respond to the power button", "The {name} {nom} is dead out of the box",
      "{name} {nom} won't start even after charging", "Nothing happens when I switch on the {name} {nom}"],
     "Plug the {name} {nom} into another socket and hold the power button for 10 seconds.",
     "{name} {nom} shows no sign of life"),
    ("repair", ["warranty"], "How do I get my {name} {nom} repaired under warranty?",
     ["How long is the warranty on the {name} {nom}", "Where can I fix my {name} {nom} for free",
      "Is repair of a broken {name} {nom} covered", "Service centre for the {name} {nom}"],
     "Request a repair in **My Account → Orders** and a courier will collect the {name} {nom} free of charge.",
     "my {name} {nom} broke, who fixes it"),
    ("delivery", ["delivery"], "When will my {name} {nom} be delivered?",
     ["How long does delivery of the {name} {nom} take", "{name} {nom} delivery time to other regions",
      "Can I speed up delivery of my {name} {nom}", "How do I track my {name} {nom} order"],
     "The delivery date for the {name} {nom} is shown on the order page, next to the tracking number.",
     "where is my {name} {nom}, still not here"),
    ("installments", ["payment"], "Can I buy the {name} {nom} in installments?",
     ["Interest-free installments for the {name} {nom}", "How do I pay for the {name} {nom} in parts",
      "Credit for buying the {name} {nom}", "Split payment for the {name} {nom}"],
     "Yes: choose **Installments** at checkout for the {name} {nom}, with no interest for up to {months} months.",
     "pay monthly for the {name} {nom}"),
    ("contents", ["catalog"], "What comes in the box with the {name} {nom}?",
     ["{name} {nom} package contents", "Is a charger included with the {name} {nom}",
      "No manual in the {name} {nom} box", "Something is missing from my {name} {nom} box"],
     "The full package contents of the {name} {nom} are listed under **Specifications** on the product page.",
     "what's inside the {name} {nom} box"),
    ("price-drop", ["payment", "promo"], "The {name} {nom} got cheaper after I bought it — can I get the difference?",
     ["Price difference refund for the {name} {nom}", "I bought the {name} {nom} and now it costs less",
      "Price drop on the {name} {nom} after my order", "Will you refund me if the {name} {nom} is now cheaper"],
     "If the price of the {name} {nom} drops within {days} days of purchase, we refund the difference as points.",
     "{name} {nom} price went down, refund the difference"),
    ("damaged", ["returns", "delivery"], "My {name} {nom} arrived damaged, what should I do?",
     ["The courier delivered a scratched {name} {nom}", "The {name} {nom} box was crushed and the device is cracked",
      "Exchange a faulty {name} {nom} after delivery", "How do I replace my defective {name} {nom}"],
     "Take photos of the {name} {nom} and its packaging and ask for an exchange in the support chat; it is free.",
     "{name} {nom} came broken"),
]}
FOLLOW_UPS = {"ru": [
    "Срок рассмотрения заявки — до {days} рабочих дней.",
    "Статус заявки виден в разделе **Личный кабинет → Обращения**.",
    "Если вопрос не решён, напишите в чат поддержки — ответим в течение {minutes} минут.",
    "Сохраните чек и гарантийный талон: они понадобятся сервисному центру.",
    "Гарантия производителя на {acc} {name} — {months} мес.",
    "Деньги вернутся на карту, с которой была оплата, в течение {days} рабочих дней.",
], "en": [
    "We review requests within {days} working days.",
    "You can follow the request in **My Account → Requests**.",
    "If that does not help, message us in the support chat; we reply within {minutes} minutes.",
    "Keep the receipt and warranty card: the service centre will ask for them.",
    "The manufacturer's warranty on the {name} {nom} is {months} months.",
    "Refunds go back to the card you paid with within {days} working days.",
]}
EDITS = {"ru": (" Обновлено: теперь отвечаем в течение 2 рабочих дней.", " — срочно"),
         "en": (" Updated: we now reply within 2 working days.", " (urgent)")}
OFF_TOPIC = ["Какая погода будет завтра в Казани?", "Как приготовить борщ?", "Посоветуйте сериал на выходные",
             "Сколько стоит билет на поезд до Сочи?", "Как выучить английский за месяц?", "Кто написал «Войну и мир»?",
             "What's the weather in London tomorrow?", "How do I bake sourdough bread?",
             "Recommend a good science fiction book", "Who won the World Cup in 2018?"]
COLUMNS = ["articles", "phrasings", "full build s", "one-article rebuild s", "search p50 ms", "p95 ms", "p99 ms",
           "peak RSS MiB"]


# -- synthetic articles ---------------------------------------------------------------------
def make_articles(n: int, rng: random.Random) -> list[dict]:
    """`n` distinct articles, about 60 % Russian, in a seeded random order."""
    n_ru = round(n * RU_SHARE)
    picks = [("ru", c) for c in _combos("ru", n_ru, rng)] + [("en", c) for c in _combos("en", n - n_ru, rng)]
    rng.shuffle(picks)
    return [_article(number, lang, combo, rng) for number, (lang, combo) in enumerate(picks)]


def _combos(lang: str, k: int, rng: random.Random) -> list[tuple]:
    combos = list(itertools.product(INTENTS[lang], PRODUCTS[lang], BRANDS, MODELS))
    if k > len(combos):
        raise ValueError(f"at most {len(combos)} distinct {lang} articles can be generated, asked for {k}")
    return rng.sample(combos, k)


def _article(number: int, lang: str, combo: tuple, rng: random.Random) -> dict:
    (key, tags, title, questions, answer, paraphrase), (nom, gen, acc), brand, model = combo
    values = {"nom": nom, "gen": gen, "acc": acc, "Nom": nom[0].upper() + nom[1:], "Acc": acc[0].upper() + acc[1:],
              "name": f"{brand} {model}", "days": rng.randint(2, 14), "minutes": rng.choice([5, 10, 15, 30]),
              "months": rng.choice([6, 12, 24, 36])}
    sentences = [answer, *rng.sample(FOLLOW_UPS[lang], rng.randint(1, 3))]  # 2-4 sentences
    return {"id": f"{number:05d}-{lang}-{key}", "title": title.format(**values), "lang": lang,
            "questions": [q.format(**values) for q in questions], "tags": [*tags, brand.lower()],
            "body": " ".join(s.format(**values) for s in sentences), "paraphrase": paraphrase.format(**values)}


def write_article(folder: Path, article: dict):
    meta = {key: article[key] for key in ("id", "title", "lang", "questions", "tags")}
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    (folder / f"{article['id']}.md").write_text(f"---\n{front}---\n{article['body']}\n", encoding="utf-8")


def edit_article(folder: Path, article: dict):
    """Change the body and one question, as an editor fixing one article would."""
    body_note, question_note = EDITS[article["lang"]]
    article["body"] += body_note
    article["questions"][0] += question_note
    write_article(folder, article)


def make_queries(articles: list[dict], count: int, rng: random.Random) -> list[str]:
    return [rng.choice(OFF_TOPIC) if rng.random() < OFF_TOPIC_SHARE else rng.choice(articles)["paraphrase"]
            for _ in range(count)]


# -- measuring ------------------------------------------------------------------------------
def load_models(encoders: list[str]) -> float:
    """Load the encoders before any timing: `get_embedder` keeps them for the whole process."""
    from kb.search.encoders import get_embedder

    started = time.perf_counter()
    for name in encoders:
        get_embedder(name).encode(["warm-up"])  # some encoders read their weights on first use
    return time.perf_counter() - started


def timed_build(articles_dir: Path, out_dir: Path, encoders: list[str]):
    from kb.search.build import build_index

    started = time.perf_counter()
    report = build_index(articles_dir, out_dir, encoders=encoders)
    return time.perf_counter() - started, report


def search_latencies(out_dir: Path, queries: list[str]) -> list[float]:
    """p50, p95 and p99 of `searcher.search` in milliseconds."""
    from kb.search.searcher import Searcher

    searcher = Searcher(out_dir)
    for query in queries[:WARM_UP]:  # first calls pay for lazy loading
        searcher.search(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        searcher.search(query)
        times.append((time.perf_counter() - started) * 1000)
    return np.percentile(times, [50, 95, 99]).tolist()


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def bench_size(n: int, queries: int, root: Path, encoders: list[str], echo) -> list[str]:
    """One row of the table for a knowledge base of `n` articles."""
    rng = random.Random(SEED + n)
    articles_dir, out_dir = root / "articles", root / "index"
    articles_dir.mkdir()
    articles = make_articles(n, rng)
    for article in articles:
        write_article(articles_dir, article)
    echo(f"[{n}] full build ...")
    full_s, full = timed_build(articles_dir, out_dir, encoders)
    echo(f"[{n}] full build {full_s:.1f} s ({full.phrasings} phrasings, {full.passages} passages, "
         f"{full.embedded} texts embedded)")
    edit_article(articles_dir, articles[len(articles) // 2])
    one_s, one = timed_build(articles_dir, out_dir, encoders)
    echo(f"[{n}] one-article rebuild {one_s:.2f} s ({one.embedded} texts embedded)")
    p50, p95, p99 = search_latencies(out_dir, make_queries(articles, queries, rng))
    rss = peak_rss_mib()
    echo(f"[{n}] search p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms; peak RSS {rss:.0f} MiB")
    return [str(n), str(full.phrasings), f"{full_s:.1f}", f"{one_s:.2f}", f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}",
            f"{rss:.0f}"]


# -- the report -----------------------------------------------------------------------------
def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---:" for _ in COLUMNS) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def header(sizes: list[int], queries: int, out_file: str, encoders: list[str], load_s: float) -> str:
    command = f"kb bench --sizes {','.join(map(str, sizes))} --queries {queries} --out {out_file}"
    return "\n".join([
        "# Benchmarks", "",
        f"- Date: {time.strftime('%Y-%m-%d')}",
        f"- Machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
        f"- Command: `{command}`",
        f"- Encoders: {', '.join(encoders)}; loaded once per process before timing ({load_s:.1f} s, "
        "not in the build times).",
        f"- Articles: synthetic, seed {SEED}, {RU_SHARE:.0%} Russian and the rest English; "
        "title + 4 questions + a 2–4 sentence answer each.",
        "- Full build: fresh index folder, empty embedding cache. One-article rebuild: one article's answer "
        "and one question edited, same folder, warm cache.",
        f"- Search: {queries} timed searches after {WARM_UP} warm-up ones; paraphrases of titles in both "
        f"languages and {OFF_TOPIC_SHARE:.0%} off-topic questions.",
        "- Peak RSS: the process's high-water mark so far (`ru_maxrss`), so it includes the models "
        "and every size measured before.",
        "",
    ])


def run_bench(sizes: list[int], queries: int, out_file: str, encoders, echo=print) -> str:
    """Benchmark each size in turn, write the Markdown report to `out_file`, return the table."""
    if not sizes or min(sizes) < 1 or queries < 1:
        raise ValueError("sizes and queries must be positive numbers")
    encoders = list(encoders)
    load_s = load_models(encoders)
    echo(f"loaded encoders {', '.join(encoders)} in {load_s:.1f} s")
    rows = []
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        root = Path(tempfile.mkdtemp(prefix=f"kb-bench-{n}-"))
        try:
            rows.append(bench_size(n, queries, root, encoders, echo))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        # Written after every size, so the rows of a long run survive an interruption.
        table = markdown_table(rows)
        out.write_text(header(sizes, queries, out_file, encoders, load_s) + "\n" + table + "\n", encoding="utf-8")
        echo(f"wrote {out_file}")
    return table
