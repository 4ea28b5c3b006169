"""Shared fixtures: the sample knowledge base indexed once per test session with the real models."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ARTICLES = ROOT / "articles"


def write_article(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One embedding cache for the session, so each text is embedded once across tests."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, cache_dir) -> Path:
    from kb.index import build_index

    out = tmp_path_factory.mktemp("index")
    (out / "cache").symlink_to(cache_dir)
    build_index(SAMPLE_ARTICLES, out)
    return out


@pytest.fixture(scope="session")
def searcher(sample_index):
    from kb.search import get_searcher

    return get_searcher(sample_index)


@pytest.fixture
def small_kb(tmp_path) -> Path:
    """A copy of a few sample articles that a test may edit."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("cancel-order", "track-order", "reset-password", "en-return-item", "en-payment-methods"):
        shutil.copy(SAMPLE_ARTICLES / f"{name}.md", folder)
    return folder


@pytest.fixture
def small_index_dir(tmp_path, cache_dir) -> Path:
    out = tmp_path / "index"
    out.mkdir()
    (out / "cache").symlink_to(cache_dir)
    return out


@pytest.fixture
def app(sample_index):
    from webapp import create_app

    return create_app({"TESTING": True, "KB_INDEX": str(sample_index)})


@pytest.fixture
def client(app):
    return app.test_client()
