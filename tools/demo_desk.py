"""A small support team and a few weeks of tickets in the configured database (KB_DATABASE_URL), so
the staff pages have something to show: for screenshots (tools/screenshots.py) and for a newcomer
trying the console. Run it on an empty database only:

    KB_DATABASE_URL=sqlite:///instance/demo.sqlite .venv/bin/python tools/demo_desk.py PASSWORD

Staff: admin `olga` (tier 3), lead `pavel` (tier 3), operators `ivan` (tier 1), `anna` (tier 1),
`maria` (tier 2), editor `elena`; all with PASSWORD.
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from kb.config import load_settings
from kb.desk.operators import add_operator
from kb.services import Services

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
    print(f"{len(STAFF)} staff and {len(TICKETS)} tickets in {settings.database_url}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
