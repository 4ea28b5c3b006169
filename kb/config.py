"""Where things live and which models are used; environment variables override the defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_QUERY_CHARS = 500

# How much each encoder counts in the fused similarity, chosen by measurement (docs/quality.md).
# MiniLM only understands English, so it only takes part when question and article are English.
ENCODER_WEIGHTS = {"minilm": 1.0, "e5": 1.0, "use": 0.5}
ENGLISH_ONLY = {"minilm"}
# Encoders an English question skips when an English-only one is in the index: with MiniLM there,
# e5 adds 0.004 top1 on English questions and doubles the time of a search (docs/quality.md).
REDUNDANT_FOR_ENGLISH = {"e5"}
# How much lower an encoder's similarity runs for a Russian question against the English wording of
# the same question than for an English one: measured on kb/data/crosslingual.tsv with
# `python scripts/crosslingual_shift.py`. Added to cross-language similarities when judging
# "no match", since a knowledge base in one language has nothing to learn it from.
CROSS_LANGUAGE_SHIFT = {"e5": 0.040, "use": 0.053}


@dataclass
class Settings:
    articles_dir: Path = field(default_factory=lambda: Path(os.environ.get("KB_ARTICLES", "articles")))
    index_dir: Path = field(default_factory=lambda: Path(os.environ.get("KB_INDEX", "index")))
    database_url: str = field(default_factory=lambda: os.environ.get("KB_DATABASE_URL", "sqlite:///instance/kb.sqlite"))
    embedders: tuple[str, ...] = field(
        default_factory=lambda: tuple(os.environ.get("KB_EMBEDDERS", "minilm,use,e5").split(",")))


def _pairs(raw: str, value=float) -> dict[str, float]:
    """`a=1,b=2` → {"a": 1.0, "b": 2.0}; the format of the list-valued settings below."""
    out = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, _, text = item.partition("=")
        out[key.strip()] = value(text.strip())
    return out


def duration_hours(text: str) -> float:
    """`90m`, `4h`, `1.5h`, `2d` or a bare number of hours."""
    text = text.strip().lower()
    units = {"m": 1 / 60, "h": 1.0, "d": 24.0}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


@dataclass
class TicketRules:
    """Deadlines, assignment and duplicate detection for tickets; every value has an env override."""

    first_response_hours: dict[str, float] = field(default_factory=lambda: _pairs(os.environ.get(
        "KB_FIRST_RESPONSE", "social=1h,email=4h,web=4h,chat=5m,phone=5m"), duration_hours))
    tier_deadline_hours: dict[int, float] = field(default_factory=lambda: {
        int(k): v for k, v in _pairs(os.environ.get("KB_TIER_DEADLINES", "1=20h,2=20h,3=20h"),
                                     duration_hours).items()})
    # Share of new tickets by seniority (years in the team); newcomers get fewer.
    seniority_weights: dict[int, float] = field(default_factory=lambda: {
        int(k): v for k, v in _pairs(os.environ.get("KB_SENIORITY_WEIGHTS", "0=0.5,1=0.75,2=1")).items()})
    auto_assign: bool = field(default_factory=lambda: os.environ.get("KB_AUTO_ASSIGN", "1") not in ("0", "no", "false"))
    working_hours: str = field(default_factory=lambda: os.environ.get("KB_WORKING_HOURS", "mon-fri 09:00-18:00"))
    timezone: str = field(default_factory=lambda: os.environ.get("KB_TIMEZONE", "UTC"))
    # Cosine of e5 embeddings; measured: rewordings 0.90-0.93, other questions on the same topic 0.84-0.88.
    duplicate_threshold: float = field(default_factory=lambda: float(os.environ.get("KB_DUPLICATE_THRESHOLD", "0.89")))
    duplicate_window_hours: float = field(default_factory=lambda: duration_hours(
        os.environ.get("KB_DUPLICATE_WINDOW", "24h")))
    duplicate_embedder: str = field(default_factory=lambda: os.environ.get("KB_DUPLICATE_EMBEDDER", "e5"))
    escalate_every_seconds: float = field(default_factory=lambda: float(os.environ.get("KB_ESCALATE_EVERY", "60")))

    def first_response_target(self, channel: str) -> float:
        return self.first_response_hours.get(channel, 4.0)

    def tier_deadline(self, tier: int) -> float:
        return self.tier_deadline_hours.get(tier, 20.0)

    def seniority_weight(self, seniority: int) -> float:
        known = [level for level in sorted(self.seniority_weights) if level <= seniority]
        return self.seniority_weights[known[-1]] if known else 1.0
