"""Personal data out of a question before it is stored: e-mail addresses, phone numbers, card numbers
(only when the Luhn check passes, so an order number stays), Russian passports, IBANs and SNILS
numbers become typed placeholders such as `[email]`, `[phone]`, `[card]`.

One pure function, `mask(text)`, used for every stored question (the query log, the votes). It errs
on the side of masking: a long run of digits that looks like a phone number is masked even if it
is something else (10 to 15 digits); short numbers (amounts, order numbers up to 9 digits, years) and
long ones that are not cards (a 16-digit order number) are kept.
"""
from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
PASSPORT = "[passport]"
IBAN = "[iban]"
SNILS = "[snils]"

# Anything of the form name@...: a half-typed address (`ivan@mail`) is masked too.
# Each starts where a word does (the look-behind): the leftmost match starts there anyway, and trying
# every later start of a long word would cost its length squared.
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[\w.-]*", re.UNICODE)
# An address written to dodge robots: ivan(at)mail.ru, ivan [at] mail [dot] ru, ivan(собака)mail.ru.
_EMAIL_SPELT = re.compile(r"(?<![\w.+%-])[\w.+%-]+\s?[(\[{<]\s?(?:at|собака)\s?[)\]}>]\s?"
                          r"[\w-]+(?:(?:\.|\s?[(\[{<]\s?(?:dot|точка)\s?[)\]}>]\s?)[\w-]+)+", re.IGNORECASE)
# Letters glued to digits with no separator are not a number of ours (a model name, a code).
_EDGE_L = r"(?<![\w+])"
_EDGE_R = r"(?!\w)"
# 13–19 digits in groups separated by single spaces or dashes; or four groups of four joined by the
# same dot or slash (4111.1111.1111.1111), a shape no date or amount has.
_CARD = re.compile(_EDGE_L + r"\d(?:[ -]?\d){12,18}" + _EDGE_R)
_CARD_DOTTED = re.compile(_EDGE_L + r"\d{4}([./])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?" + _EDGE_R)
_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?" + _EDGE_R)
# A Russian passport as people write it: series of 4 digits (or 2+2) and a number of 6, with a
# "№" or nothing between; or the 10 digits run together after the word passport/паспорт.
_PASSPORT = re.compile(r"(?<![\w+])\d{2} ?\d{2}(?: ?№ ?| )\d{6}" + _EDGE_R)
_PASSPORT_WORD = re.compile(r"((?:паспорт\w*|passport)\D{0,20}?)(?<!\d)\d{10}(?!\d)", re.IGNORECASE)
_SNILS = re.compile(_EDGE_L + r"\d{3}-\d{3}-\d{3}[ -]\d{2}" + _EDGE_R)
# Phones: an optional + and country code, an optional (area code), then groups of digits joined by
# spaces, dashes, dots or slashes, even one digit a group; 10 to 15 digits in all (so `8 912 345 67 89`,
# `+7 (912) 345-67-89`, `89123456789`, `8/912/345/67/89`, `8 9 1 2 3 4 5 6 7 8 9`, `+44 20 7946 0958`).
# The digit groups are possessive (`\d{1,5}+`): a run of digits splits into groups one way only, or a
# long run that is not a phone would be tried in every split (a search query hung for minutes).
_PHONE = re.compile(r"(?<![\w+])(?:\+\s?)?\d{1,4}+(?:[\s./-]?\(\d{1,5}+\))?(?:[\s./-]?\d{1,5}+){1,14}" + _EDGE_R)
# A local number with its area code in brackets and no country code: (495) 123-45-67.
_PHONE_LOCAL = re.compile(r"\(\d{3,5}+\)\s?\d{1,4}+(?:[\s.-]?\d{1,4}+){1,4}" + _EDGE_R)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _card(match: re.Match) -> str:
    raw = match.group(0)
    digits = _digits(raw)
    # A number written in groups must be grouped like a number (no double separators; checked by the
    # pattern); a Luhn-valid run is a card.
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return CARD
    return raw


def _phone(match: re.Match) -> str:
    raw = match.group(0)
    digits = _digits(raw)
    if raw.lstrip().startswith("+"):
        return PHONE if 8 <= len(digits) <= 15 else raw
    # 10 to 15 digits: a phone (8 912..., 912... without its 8, or any other country's); erring on
    # the side of masking, a long account or tax number goes too. 16 and more: an order number.
    return PHONE if 10 <= len(digits) <= 15 else raw


def mask(text: str | None) -> str | None:
    """`text` with every e-mail, phone, card, passport, IBAN and SNILS number replaced by its placeholder."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _EMAIL_SPELT.sub(EMAIL, text)
    text = _IBAN.sub(lambda m: IBAN if sum(c.isdigit() for c in m.group(0)) >= 10 else m.group(0), text)
    text = _CARD.sub(_card, text)
    text = _CARD_DOTTED.sub(_card, text)
    text = _SNILS.sub(SNILS, text)
    text = _PASSPORT_WORD.sub(lambda m: m.group(1) + PASSPORT, text)
    text = _PASSPORT.sub(PASSPORT, text)
    text = _PHONE.sub(_phone, text)
    text = _PHONE_LOCAL.sub(PHONE, text)
    return text
