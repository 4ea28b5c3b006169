"""Translations of one article are one topic: lists and results show each topic once, in the
visitor's language when a copy exists, else in the language it was written in."""
from __future__ import annotations

import numpy as np


def one_per_topic(order, topic: np.ndarray, langs: np.ndarray, prefer: str | None) -> list[int]:
    """`order` (article numbers, best first) with each topic once, at the place of its best copy;
    the copy shown is the one in `prefer` when the topic has one, else that best copy."""
    copies: dict[int, dict[str, int]] = {}
    for number, (group, lang) in enumerate(zip(topic.tolist(), langs.tolist())):
        copies.setdefault(group, {}).setdefault(lang, number)
    seen, out = set(), []
    for number in order:
        group = int(topic[number])
        if group in seen:
            continue
        seen.add(group)
        out.append(copies[group].get(prefer, int(number)) if prefer else int(number))
    return out
