"""When a customer's new question is the one they already asked (and so joins their open ticket).

Joining is only for real evidence of the same question, since whoever knows an e-mail address
can send as that customer:

* the same text after normalising (case, ё/е, punctuation, spaces); or
* by meaning: e5 cosine ≥ `TicketRules.duplicate_threshold` between the two questions with their
  numbers taken out, AND the numbers (order ids, amounts) each contains being the same
  when both contain some. An order number shared by two different questions otherwise lifts
  their cosine by about 0.07 ("charged twice for order 1111" / "want to return order 1111").

Measured with multilingual-e5 (`get_embedder("e5")`) on every pair of phrasings (title and
`questions:`) of the 59 sample articles in `articles/` (Russian and English): phrasings of one
article = "same question", of two articles of one language = "different question"; word salad =
3-10 random words of the articles, shuffled, against one real question or another salad:

    cosine percentiles                 1      10     50     90     99     99.9
    same article (845 pairs)         0.806  0.836  0.878  0.917  0.944  0.957
    different articles (32,755)      0.769  0.796  0.832  0.872  0.904  0.933
    salad vs a question (600)                      0.819  0.858  0.888  0.904
    salad vs salad (600)                           0.831  0.865  0.890  0.897
    different + one order no. added  0.854  0.880  0.910  0.935  0.953  0.967  (numbers kept)

    threshold  rewordings join  different questions join  60 salads from one address after a
                                                          real question (5 runs x 2 languages)
      0.89         35.1 %          3.18 % (1,041)              60 of 600 join
      0.92          7.7 %          0.23 % (76)                  5 of 600
      0.93          3.6 %          0.11 % (37)                  1 of 600
      0.95          0.7 %          0.01 % (2)                   -

Held out (banking-en / banking-ru phrasings, 50 articles each; 500 same, 30,625 different pairs):
same-article median 0.898 / 0.897, different median 0.838 / 0.843, 99.9th 0.936 / 0.936; at 0.93
rewordings join 18.2 % / 17.0 %, different questions 0.15 % / 0.18 %, salads 1 of 300 each
(at 0.89: 4.2 % / 5.8 % different questions and 41 / 101 of 300 salads joined).

So the threshold is 0.93, the default of `KB_DUPLICATE_THRESHOLD` (the different pairs above it are mostly near-synonymous articles:
"Порядок возврата покупки" / "Срок возврата товара"). e5's cosines are compressed: phrasings of
one article are often different questions on one topic and overlap the other articles almost
entirely; only near the top is a join trustworthy. Matching by meaning therefore catches a
question sent again with small changes, not every rewording; a missed join costs one extra
ticket, a wrong one mixes two customers' requests. Taking the numbers out before embedding
drops "charged twice for order 1111" / "want to return order 1111" from 0.906 to 0.867.
A shared content word (stem overlap >= 0.5) as an extra condition was measured too and bought
nothing over a higher threshold.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict

import numpy as np


_NUMBER = re.compile(r"\d+")


def numbers(text: str) -> frozenset[str]:
    """The numbers in a text (order ids, amounts), without leading zeros."""
    return frozenset(n.lstrip("0") or "0" for n in _NUMBER.findall(text))


def meaning_text(text: str) -> str:
    """What is embedded for the comparison by meaning: the text without its numbers."""
    return " ".join(_NUMBER.sub(" ", text).split())


def numbers_agree(one: str, other: str) -> bool:
    """False when both texts name numbers and they are not the same ones."""
    a, b = numbers(one), numbers(other)
    return not (a and b) or a == b


class VectorCache:
    """A bounded, thread-safe LRU of text -> unit vector, so each open question is embedded once."""

    def __init__(self, embed, size: int = 4096):
        self._embed = embed
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: list[str]) -> list[np.ndarray]:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            fresh = self._embed(missing)  # outside the lock: the model may take a while
            with self._lock:
                for text, vector in zip(missing, fresh):
                    self._vectors[text] = np.asarray(vector, dtype=np.float32)
        with self._lock:
            found = {}
            for text in texts:
                vector = self._vectors.get(text)
                if vector is None:  # pushed out meanwhile by a burst of other texts: embed again
                    vector = np.asarray(self._embed([text])[0], dtype=np.float32)
                    self._vectors[text] = vector
                self._vectors.move_to_end(text)
                found[text] = vector
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return [found[t] for t in texts]
