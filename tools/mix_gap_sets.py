"""Build a two-language gap set from a pair of parallel ones: the articles of the first, and a
stream that takes each line from either set at random (seeded).

The shared banking gap sets are parallel line by line (same times, visitors, kinds and missing
topics, English and Russian), so the mix asks every missing topic in both languages against one
knowledge base, as the issue's unseen "mixed" sets do. Used to check that the gap clustering keeps
a topic asked in two languages together (docs/gaps.md):

    python tools/mix_gap_sets.py ../shared/eval/gaps-banking-en ../shared/eval/gaps-banking-ru /tmp/gaps-banking-mixed
    kb gaps eval /tmp/gaps-banking-mixed
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path


def mix(first: Path, second: Path, out: Path, share: float = 0.5, seed: int = 1) -> int:
    lines_a = (first / "stream.jsonl").read_text(encoding="utf-8").splitlines()
    lines_b = (second / "stream.jsonl").read_text(encoding="utf-8").splitlines()
    if len(lines_a) != len(lines_b):
        raise SystemExit("the two streams are not parallel: their lengths differ")
    rng = random.Random(seed)
    mixed = []
    for a, b in zip(lines_a, lines_b):
        x, y = json.loads(a), json.loads(b)
        if (x["kind"], x["at"], x["visitor"]) != (y["kind"], y["at"], y["visitor"]):
            raise SystemExit(f"the two streams are not parallel at {x['at']}")
        mixed.append(y if rng.random() < share else x)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(first / "articles", out / "articles")
    (out / "stream.jsonl").write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in mixed),
                                      encoding="utf-8")
    return len(mixed)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path, help="gap set whose articles are kept")
    parser.add_argument("second", type=Path, help="parallel gap set in the other language")
    parser.add_argument("out", type=Path)
    parser.add_argument("--share", type=float, default=0.5, help="share of lines taken from the second set")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(mix(args.first, args.second, args.out, args.share, args.seed), "questions in", args.out)
