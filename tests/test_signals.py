"""The signals listed once (kb.search.signals.signals): each fits, saves into a build and loads back
to give the same evidence, one value per article. A stand-in embedder keeps this to a second."""
import numpy as np
import pytest
from conftest import fake_embed

from kb.articles.parsing import load_articles
from kb.search.build import build_index
from kb.search.encoders import question_encoders
from kb.search.loading import LoadedBuild
from kb.search.scoring import Evidence
from kb.search.signals import signals
from kb.search.signals.base import Corpus, Previous, Question

ENCODERS = ["minilm", "use", "e5"]
QUESTIONS = [("как отменить заказ", "ru"), ("how can I return an item", "en"), ("ошибка E-4012", "ru")]


class FakeEmbedder:
    def encode(self, texts):
        return fake_embed(texts)


@pytest.fixture
def fake_models(monkeypatch):
    monkeypatch.setattr("kb.search.signals.encoder.get_embedder", lambda *args: FakeEmbedder())


def question(text: str, lang: str) -> Question:
    return Question(text, lang, {name: fake_embed([text])[0] for name in question_encoders(ENCODERS, lang)})


def per_article(found: dict) -> dict[str, np.ndarray]:
    """A signal's evidence flattened: `similarity.e5` for an entry of a per-encoder field."""
    flat = {}
    for field, value in found.items():
        for key, array in (value.items() if isinstance(value, dict) else [(None, value)]):
            flat[f"{field}.{key}" if key else field] = array
    return flat


def test_every_signal_round_trips_through_a_build_and_gives_one_value_per_article(small_kb, tmp_path, fake_models):
    articles, _ = load_articles(small_kb)
    corpus = Corpus.of(articles)
    fitted = [s.fit(corpus, Previous(None, None, None)) for s in signals(ENCODERS, cache_dir=tmp_path / "cache")]
    out = tmp_path / "index"
    build_index(small_kb, out, encoders=ENCODERS)
    loaded = LoadedBuild(out).signals
    assert [s.name for s in loaded] == [s.name for s in fitted] == [*ENCODERS, "classifier", "ngrams", "keywords"]
    for text, lang in QUESTIONS:
        given = set()
        for fresh, again in zip(fitted, loaded):
            found, found_again = per_article(fresh.evidence(question(text, lang))), per_article(again.evidence(question(text, lang)))
            assert found.keys() == found_again.keys(), fresh.name
            for field, values in found.items():
                assert values.shape == (len(articles),), (fresh.name, field)
                assert np.allclose(values, found_again[field]), (fresh.name, field)
            given |= found.keys()
        # every field of the one record is some signal's (n-grams only where no encoder of the language is)
        fields = {"similarity", "closest", "logits", "names", "exact", "codes"} | ({"ngrams"} if lang == "ru" else set())
        assert {f.split(".")[0] for f in given} == fields


def test_the_evidence_of_all_signals_makes_one_record(small_kb, tmp_path, fake_models):
    out = tmp_path / "index"
    build_index(small_kb, out, encoders=ENCODERS)
    build = LoadedBuild(out)
    evidence = Evidence("ru", build.article_langs)
    for signal in build.signals:
        evidence.add(signal.evidence(question("как отменить заказ", "ru")))
    assert list(evidence.similarity) == ["use", "e5"]  # the encoders of a Russian question, in index order
    assert evidence.logits.shape == evidence.ngrams.shape == evidence.codes.shape == (len(build.articles),)
