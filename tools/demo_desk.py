"""A small support team and a few weeks of tickets in the configured database (KB_DATABASE_URL), so
the staff pages have something to show: for screenshots (tools/screenshots.py) and for a newcomer
trying the console. Run it on an empty database only:

    KB_DATABASE_URL=sqlite:///instance/demo.sqlite .venv/bin/python tools/demo_desk.py PASSWORD

Staff: admin `olga` (tier 3), lead `pavel` (tier 3), operators `ivan` (tier 1), `anna` (tier 1),
`maria` (tier 2), editor `elena`; all with PASSWORD. With an index built (`kb index`), four weeks of
visitors' questions also go through the real search into the query log, for the questions page, and
the gap finder folds the ones nothing answered into suggestions, for the editors' page (it loads the
models: a minute or two).
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from kb.app.services import Services
from kb.config import load_settings
from kb.desk.operators import add_operator

STAFF = [("olga", "Ольга Смирнова", "admin", 3), ("pavel", "Павел Орлов", "lead", 3),
         ("ivan", "Иван Петров", "operator", 1), ("anna", "Анна Кузнецова", "operator", 1),
         ("maria", "Мария Соколова", "operator", 2), ("elena", "Елена Волкова", "editor", 1)]
# (hours ago, question, contact, channel, what happened: who took it and what they did)
TICKETS = [
    (300, "Не пришёл чек после оплаты заказа 58213", "+7 912 345-67-01", "phone", ("ivan", "solve")),
    (200, "Where is my parcel? Ordered two weeks ago, order 77120", "liz@example.com", "email", ("anna", "solve")),
    (150, "Списали деньги дважды за один заказ", "+7 912 345-67-02", "chat", ("ivan", "pass")),
    (90, "Курьер не приехал в назначенный интервал", "petr@example.ru", "web", ("anna", "solve")),
    (40, "Как получить закрывающие документы для юрлица?", "buh@firma.ru", "email", ("ivan", "pass")),
    (30, "Промокод SPRING25 не применяется к корзине", "+7 912 345-67-03", "chat", ("anna", "reply")),
    (19, "The app crashes when I open my orders", "tom@example.com", "web", ("ivan", None)),
    (6, "Хочу поменять адрес доставки у оформленного заказа", "+7 912 345-67-04", "phone", None),
    (3, "Можно ли оплатить заказ частями?", "olya@mail.ru", "web", None),
    (1, "Do you ship to Kazakhstan?", "dana@example.kz", "email", None),
    (0.2, "Не могу войти в личный кабинет, код из СМС не приходит", "+7 912 345-67-05", "chat", None),
]


# Visitors' questions (our own wordings), each asked this many times over four weeks.
QUESTIONS = [("где моя посылка, трек не меняется третий день", 40), ("как отменить заказ если уже оплатил", 25),
             ("промокод не применяется", 18), ("how do I return shoes that do not fit", 15),
             ("не приходит смс с кодом для входа", 14), ("можно ли оплатить заказ криптовалютой", 9),
             ("do you deliver on sundays", 8), ("курьер опоздал, кто вернёт деньги за доставку", 7),
             ("можно ли забронировать товар без оплаты", 6), ("is there a student discount", 5)]

# Topics the sample articles do not cover, in several wordings each (the editors' page): each wording
# asked by a few visitors over four weeks, more of them lately for the first topics.
GAP_TOPICS = [
    ["можно ли купить подарочный сертификат", "есть ли у вас подарочные карты", "как подарить сертификат другу",
     "подарочный сертификат на 3000 рублей", "do you sell gift cards", "can I buy a gift card for a friend"],
    ["доставляете ли вы в воскресенье", "привезёте заказ в выходные?", "работает ли доставка по воскресеньям",
     "do you deliver on sundays", "weekend delivery available?"],
    ["можно ли оплатить заказ криптовалютой", "принимаете ли вы биткоин", "оплата в usdt возможна?",
     "can I pay with bitcoin", "оплата биткоинами"],
    ["есть ли скидка для студентов", "студенческая скидка по студенческому билету", "скидки студентам есть?",
     "is there a student discount", "student discount code"],
    ["можно ли упаковать заказ как подарок", "подарочная упаковка есть?", "can you gift wrap my order"],
]

# Found, but "not helpful": the customers' own words the article lacks (an "add wordings" suggestion).
NOT_HELPFUL = ["курьер приезжал когда меня не было дома", "меня не было дома курьер ушёл", "курьер не дождался",
               "не успел встретить курьера", "прозевал доставку, что теперь"]


def log_gap_questions(services, now: datetime) -> int:
    """The unanswered topics asked through the real search, then folded by the gap finder as the
    worker does; the last suggestion is dismissed, so the page shows a closed one too."""
    import random

    from kb.gaps.actions import dismiss

    chance, asked = random.Random(11), 0
    for rank, wordings in enumerate([*GAP_TOPICS, NOT_HELPFUL]):
        for text in wordings:
            response = services.searcher.search(text)
            results = [(r.id, r.confidence) for r in response.results]
            for _ in range(chance.randint(2, 5 - min(rank, 2))):
                days = chance.uniform(0.1, 6) if chance.random() < 0.6 - 0.1 * rank else chance.uniform(6, 28)
                visitor = f"demo-gap-{chance.randrange(10**6)}"
                at = now - timedelta(days=days)
                services.questions.asked(visitor=visitor, qid=f"demo-gap-{asked}", text=text, source="help",
                                         lang=response.lang, results=results, no_match=response.no_match,
                                         confidence=response.confidence, now=at)
                if wordings is NOT_HELPFUL and results:
                    services.questions.voted(visitor=visitor, article_id=results[0][0], helpful=False,
                                             qid=f"demo-gap-{asked}", now=at + timedelta(minutes=2))
                asked += 1
    services.questions.flush()
    print(services.gaps.refresh().line())
    found = services.gaps.suggestions()
    if len(found) > 2:
        dismiss(services.database, found[-1]["id"], "elena")
    return asked


def log_questions(services, now: datetime) -> int:
    import random

    from kb.errors import IndexMissing

    try:
        searcher = services.searcher
    except IndexMissing:
        return 0
    chance, asked = random.Random(7), 0
    for text, times in QUESTIONS:
        response = searcher.search(text)
        results = [(r.id, r.confidence) for r in response.results]
        for n in range(times):
            at = now - timedelta(hours=chance.uniform(1, 28 * 24))
            source = "console" if n % 4 == 0 else "help"
            visitor = f"demo-{chance.randrange(10**6)}"
            services.questions.asked(visitor=visitor, qid=f"demo-{asked}", text=text,
                                     source=source, lang=response.lang, results=results,
                                     no_match=response.no_match, confidence=response.confidence, now=at)
            if not response.no_match and n % 3 == 0:
                services.questions.opened(visitor=visitor, article_id=results[0][0], qid=f"demo-{asked}", now=at)
            asked += 1
    services.questions.flush()
    return asked


def main(password: str) -> None:
    settings = load_settings(auto_assign=False)
    services = Services(settings)
    database, desk = services.database, services.desk
    for login, name, role, tier in STAFF:
        add_operator(database, login, name, password, role=role, tier=tier, seniority=tier)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for hours, question, contact, channel, handled in TICKETS:
        at = now - timedelta(hours=hours)
        contact_field = {"phone": contact} if contact.startswith("+") else {"email": contact}
        ticket = desk.create_ticket(question, channel=channel, now=at, **contact_field)
        if not handled:
            continue
        login, action = handled
        number = ticket["number"]
        desk.take(number, login, now=at + timedelta(minutes=4))
        later = at + timedelta(minutes=25)
        if action == "solve":
            desk.solve(number, login, answer="Проверили и исправили, спасибо, что написали.", now=later)
        elif action == "reply":
            desk.comment(number, login, "Проверяем промокод, ответим в течение часа.", now=later)
        elif action == "pass":
            desk.pass_on(number, login, "Нужна проверка платежа в биллинге, у первой линии нет доступа.",
                         now=later)
    asked = log_questions(services, now)
    if asked:
        asked += log_gap_questions(services, now)
    print(f"{len(STAFF)} staff, {len(TICKETS)} tickets and {asked} logged questions in {settings.database_url}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
