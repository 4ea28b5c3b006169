"""Personal data out of stored questions: Russian and English, each kind with its placeholder, and
the numbers that must stay (order numbers, amounts, years, model names)."""
import pytest

from kb.analytics.masking import luhn_valid, mask

MASKED = [
    # e-mail addresses
    ("my email is john.smith@example.com please", "john.smith@example.com", "[email]"),
    ("не приходит письмо на ivan.petrov@mail.ru", "ivan.petrov@mail.ru", "[email]"),
    ("почта: Olga_K+shop@yandex.ru, заказ не пришёл", "Olga_K+shop@yandex.ru", "[email]"),
    ("contact a.b-c@sub.domain.co.uk", "a.b-c@sub.domain.co.uk", "[email]"),
    ("сменить e-mail с petrov@gmail", "petrov@gmail", "[email]"),  # half-typed
    ("почта маша@почта.рф", "маша@почта.рф", "[email]"),
    ("пишите на ivan(at)mail.ru вечером", "ivan(at)mail.ru", "[email]"),  # written to dodge robots
    ("write to ivan [at] mail [dot] ru please", "ivan [at] mail [dot] ru", "[email]"),
    ("почта olga(собака)yandex.ru спасибо", "olga(собака)yandex.ru", "[email]"),
    # phone numbers
    ("перезвоните на +7 (912) 345-67-89", "+7 (912) 345-67-89", "[phone]"),
    ("мой номер 8 912 345 67 89, жду звонка", "8 912 345 67 89", "[phone]"),
    ("телефон 89123456789", "89123456789", "[phone]"),
    ("номер +79123456789 не принимает смс", "+79123456789", "[phone]"),
    ("звонить 8-912-345-67-89 вечером", "8-912-345-67-89", "[phone]"),
    ("8 (800) 555-35-35 не отвечает", "8 (800) 555-35-35", "[phone]"),
    ("городской (495) 123-45-67", "(495) 123-45-67", "[phone]"),
    ("мобильный 912 345 67 89", "912 345 67 89", "[phone]"),
    ("call me on +44 20 7946 0958", "+44 20 7946 0958", "[phone]"),
    ("my number is +1 (415) 555-0132", "+1 (415) 555-0132", "[phone]"),
    ("phone +49 30 901820 after 6pm", "+49 30 901820", "[phone]"),
    ("reach me at 415.555.0132", "415.555.0132", "[phone]"),
    ("ph: +33 1 42 68 53 00", "+33 1 42 68 53 00", "[phone]"),
    ("звоните 8/912/345/67/89 вечером", "8/912/345/67/89", "[phone]"),
    ("номер 8 9 1 2 3 4 5 6 7 8 9 жду", "8 9 1 2 3 4 5 6 7 8 9", "[phone]"),
    # card numbers (Luhn-valid)
    ("card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111", "[card]"),
    ("карта 5500-0000-0000-0004 заблокирована", "5500-0000-0000-0004", "[card]"),
    ("списали с карты 4111111111111111", "4111111111111111", "[card]"),
    ("amex 3782 822463 10005 refund", "3782 822463 10005", "[card]"),
    ("мир 2200 0000 0000 0004 не проходит", "2200 0000 0000 0004", "[card]"),
    ("card 4111.1111.1111.1111 declined", "4111.1111.1111.1111", "[card]"),
    ("карта 4111/1111/1111/1111 не проходит", "4111/1111/1111/1111", "[card]"),
    # passports, IBAN, SNILS
    ("паспорт 4510 123456 выдан", "4510 123456", "[passport]"),
    ("паспорт серия 45 10 № 123456", "45 10 № 123456", "[passport]"),
    ("данные паспорта 4510123456", "4510123456", "[passport]"),
    ("passport 4510 123456 for customs", "4510 123456", "[passport]"),
    ("refund to IBAN DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "[iban]"),
    ("iban GB82WEST12345698765432 please", "GB82WEST12345698765432", "[iban]"),
    ("СНИЛС 112-233-445 95", "112-233-445 95", "[snils]"),
]


@pytest.mark.parametrize("text, secret, placeholder", MASKED)
def test_personal_data_becomes_its_placeholder(text, secret, placeholder):
    masked = mask(text)
    assert secret not in masked
    assert placeholder in masked
    # The words around it stay.
    words = [w for w in text.replace(secret, " ").split() if w.isalpha() and len(w) > 3]
    assert all(word in masked for word in words), masked


KEPT = [
    "order 1234 5678 9012 3456 has not arrived",  # 16 digits, not Luhn-valid: an order number
    "заказ 1234567890123457 не пришёл",
    "заказ № 123456789 не пришёл",
    "перевёл 1500 рублей 12.03.2024",
    "где мой заказ 4821-77",
    "iPhone 15 Pro 256GB не заряжается",
    "размер 42 не подошёл, верну 2 пары",
    "promo code SPRING2024 does not work",
    "доставка в 2025 году стоит 350 ₽",
    "return within 14 days, 30% off",
    "трек-номер RA123456785RU",
    "how do I pay with @username on telegram",
    # the new separators and spellings must not catch order numbers, dates, sizes and plain words
    "заказ 12345 от 12/03/2024 не пришёл",
    "заказ 12345 пришёл 12.03.2024 в 15:30",
    "с 01.02.2024 по 03.04.2024 не было доставки",
    "order 1234/5678/9012/3456 is late",  # grouped like a card, not Luhn-valid
    "order 1234.5678.9012.3456 is late",
    "размеры 1 2 3 4 5 6 в наличии",
    "meet me (at) the office at 5",
    "version 2.3.1/4 build 2024/01/15",
]


@pytest.mark.parametrize("text", KEPT)
def test_what_is_not_personal_stays(text):
    assert mask(text) == text


def test_several_kinds_in_one_question():
    text = "Иван, ivan@mail.ru, +7 912 345-67-89, карта 4111 1111 1111 1111, заказ 1234 5678 9012 3456"
    assert mask(text) == "Иван, [email], [phone], карта [card], заказ 1234 5678 9012 3456"


def test_luhn():
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713")
    assert not luhn_valid("1234567890123456") and not luhn_valid("4111111111111112")


def test_empty_and_none():
    assert mask("") == "" and mask(None) is None


HOSTILE = {"digits then a letter": "1" * 300 + "x", "a long number": "1" * 5000, "digits and spaces": "1 " * 2500 + "x",
           "dotted groups": "12." * 1500 + "a", "dashed groups": "12-" * 1500 + "x", "a long word": "a" * 5000,
           "a long word and @": "a" * 5000 + "@", "spelt addresses": "ivan(at)" * 600}


def test_hostile_text_is_masked_in_linear_time():
    """Every stored question is masked inside the request: a pattern that tries every split of a long
    run (a search query of 300 digits and a letter hung a server thread for minutes) is a denial of
    service. Each runs in a child process with a deadline, since a regex holds the GIL."""
    import subprocess
    import sys

    script = ("import sys, time\nfrom kb.analytics.masking import mask\nstarted = time.perf_counter()\n"
              "mask(sys.stdin.read())\nprint(time.perf_counter() - started)")
    for name, text in HOSTILE.items():
        try:
            done = subprocess.run([sys.executable, "-c", script], input=text, capture_output=True, text=True,
                                  timeout=20, check=True)
        except subprocess.TimeoutExpired:
            pytest.fail(f"masking {name} did not end in 20 s")
        assert float(done.stdout) < 0.1, (name, done.stdout)
