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


@dataclass
class Settings:
    articles_dir: Path = field(default_factory=lambda: Path(os.environ.get("KB_ARTICLES", "articles")))
    index_dir: Path = field(default_factory=lambda: Path(os.environ.get("KB_INDEX", "index")))
    database_url: str = field(default_factory=lambda: os.environ.get("KB_DATABASE_URL", "sqlite:///instance/kb.sqlite"))
    embedders: tuple[str, ...] = field(
        default_factory=lambda: tuple(os.environ.get("KB_EMBEDDERS", "minilm,use,e5").split(",")))
