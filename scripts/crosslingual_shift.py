"""Measure each multilingual encoder's cross-language shift (the `shift` of its class in kb/search/encoders.py).

For every row of kb/search/data/crosslingual.tsv (an English question, the same in Russian, another English
wording), compare the English and the Russian question with the other wording; the shift is how
much lower the Russian one scores on average.

    .venv/bin/python scripts/crosslingual_shift.py
"""
from pathlib import Path

from kb.search.encoders import get_embedder

DATA = Path(__file__).resolve().parent.parent / "kb" / "search" / "data" / "crosslingual.tsv"


def main():
    lines = DATA.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    english, russian, other = (list(column) for column in zip(*rows))
    for name in ("e5", "use"):
        embedder = get_embedder(name)
        target = embedder.encode(other)
        same = (embedder.encode(english) * target).sum(axis=1).mean()
        cross = (embedder.encode(russian) * target).sum(axis=1).mean()
        print(f"{name}: same language {same:.3f}, across {cross:.3f}, shift {same - cross:.3f} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
