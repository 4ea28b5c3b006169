import json

import pytest
from conftest import write_article

from kb.search.build import BuildError, build_index
from kb.search.searcher import Searcher


def test_build_writes_keywords_faiss_and_manifest(small_kb, small_index_dir):
    report = build_index(small_kb, small_index_dir)
    current = small_index_dir / "current"
    manifest = json.loads((current / "manifest.json").read_text())
    assert report.articles == 5 and manifest["counts"]["articles"] == 5
    assert set(manifest["models"]) == {"minilm", "use", "e5"}
    assert set(manifest["articles"]) == {"cancel-order", "track-order", "reset-password", "en-return-item", "en-payment-methods"}
    assert (current / "keywords.npz").exists() and (current / "e5.phrasings.faiss").exists()
    calibration = manifest["calibration"]["sets"]
    assert set(calibration) == set(manifest["encoder_sets"]) == {"en", "multi"}
    for learnt in calibration.values():  # similarity (≤ 1) plus the classifier's probability (≤ 1)
        assert 0 < learnt["across"]["threshold"] < 1 and 0 < learnt["threshold"] < 2


def test_rebuild_embeds_only_what_changed(small_kb, small_index_dir, monkeypatch):
    build_index(small_kb, small_index_dir)
    with monkeypatch.context() as patch:  # nothing new to embed: no model is even loaded
        patch.setattr("kb.search.signals.encoder.get_embedder", lambda *a: pytest.fail(f"{a} was loaded"))
        again = build_index(small_kb, small_index_dir)
    assert again.embedded == 0
    path = small_kb / "track-order.md"
    path.write_text(path.read_text(encoding="utf-8").replace("questions:\n", "questions:\n  - Куда пропала моя посылка\n"), encoding="utf-8")
    edited = build_index(small_kb, small_index_dir)
    assert edited.embedded == 3  # one new phrasing, once per encoder
    hit = Searcher(small_index_dir).search("Куда пропала моя посылка")
    assert hit.results[0].id == "track-order" and hit.results[0].matched == "Куда пропала моя посылка"


def test_a_bad_article_leaves_the_previous_index_serving(small_kb, small_index_dir):
    build_index(small_kb, small_index_dir)
    before = (small_index_dir / "current").resolve()
    write_article(small_kb, "broken", "---\nid: broken\ntitle: [oops\n---\nBody\n")
    with pytest.raises(BuildError) as failure:
        build_index(small_kb, small_index_dir)
    assert failure.value.problems[0].path.endswith("broken.md")
    assert (small_index_dir / "current").resolve() == before
    assert Searcher(small_index_dir).search("как отменить заказ").results[0].id == "cancel-order"


def test_a_crash_mid_build_leaves_the_previous_index_and_no_debris(small_kb, small_index_dir, monkeypatch):
    build_index(small_kb, small_index_dir)
    before = (small_index_dir / "current").resolve()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("kb.search.signals.keywords.KeywordIndex.save", explode)
    with pytest.raises(BuildError, match="disk full"):
        build_index(small_kb, small_index_dir)
    assert (small_index_dir / "current").resolve() == before
    assert [p.name for p in (small_index_dir / "builds").iterdir()] == [before.name]


def test_watch_rebuilds_on_an_edit_and_survives_a_broken_article(small_kb, small_index_dir):
    import threading
    import time

    from kb.search.build import watch

    builds, errors, stop = [], [], threading.Event()
    worker = threading.Thread(target=watch, args=(small_kb, small_index_dir, ("minilm", "use", "e5"),
                                                  builds.append, errors.append, 0.05, stop))
    worker.start()

    def wait_for(condition):
        deadline = time.monotonic() + 120
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert condition()

    try:
        wait_for(lambda: len(builds) == 1)
        path = small_kb / "track-order.md"
        path.write_text(path.read_text(encoding="utf-8").replace(
            "questions:\n", "questions:\n  - Посылка потерялась в пути\n"), encoding="utf-8")
        wait_for(lambda: len(builds) == 2)
        assert Searcher(small_index_dir).search("Посылка потерялась в пути").results[0].matched == "Посылка потерялась в пути"
        write_article(small_kb, "broken", "---\nid: broken\ntitle: [oops\n---\nBody\n")
        wait_for(lambda: len(errors) == 1)
        assert errors[0].problems[0].path.endswith("broken.md") and len(builds) == 2
        assert Searcher(small_index_dir).search("как отменить заказ").results[0].id == "cancel-order"
    finally:
        stop.set()
        worker.join(timeout=30)


def test_rebuild_keeps_the_calibration_when_no_phrasing_changed(small_kb, small_index_dir, monkeypatch):
    from kb.search import calibration

    build_index(small_kb, small_index_dir)
    before = json.loads((small_index_dir / "current" / "manifest.json").read_text())["calibration"]
    path = small_kb / "track-order.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line of the answer.\n", encoding="utf-8")

    def must_not_run(*args, **kwargs):
        raise AssertionError("the calibration was learnt again")

    monkeypatch.setattr(calibration, "learn", must_not_run)
    build_index(small_kb, small_index_dir)
    assert json.loads((small_index_dir / "current" / "manifest.json").read_text())["calibration"] == before


def test_many_small_edits_add_up_to_a_new_calibration(small_kb, small_index_dir, monkeypatch):
    from kb.search import build as index
    from kb.search import calibration

    monkeypatch.setattr(index, "RECALIBRATE_SHARE", 0.3)  # 1 of 5 articles may change, 2 may not
    build_index(small_kb, small_index_dir)
    learnt = []
    real_learn = calibration.learn
    monkeypatch.setattr(calibration, "learn", lambda *a, **k: learnt.append(1) or real_learn(*a, **k))
    for name in ("track-order", "cancel-order"):
        path = small_kb / f"{name}.md"
        path.write_text(path.read_text(encoding="utf-8").replace("questions:\n", "questions:\n  - ещё одна формулировка\n", 1),
                        encoding="utf-8")
        build_index(small_kb, small_index_dir)
    assert learnt == [1]  # the first edit reused the calibration; the second, counted with it, did not
