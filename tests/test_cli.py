import json

from click.testing import CliRunner
from conftest import write_article

from kb.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_check_reports_problems_and_fails(tmp_path):
    write_article(tmp_path, "ok", "---\ntitle: Как отменить заказ?\nlang: ru\n---\nОтветный текст.\n")
    write_article(tmp_path, "bad", "---\ntitle: Q\nlang: fr\n---\nBody\n")
    result = run("--articles", tmp_path, "check")
    assert result.exit_code == 1
    assert "bad.md:3: error: unknown language 'fr'" in result.output
    assert "1 article(s) OK to index; 1 error(s)" in result.output


def test_check_strict_fails_on_near_duplicates(tmp_path):
    for name in ("one", "two"):
        write_article(tmp_path, name, "---\ntitle: Как отменить мой заказ?\nlang: ru\n---\nОткройте кабинет.\n")
    assert run("--articles", tmp_path, "check").exit_code == 0
    strict = run("--articles", tmp_path, "check", "--strict")
    assert strict.exit_code == 1 and "near-duplicate" in strict.output


def test_index_then_search(small_kb, small_index_dir):
    built = run("index", "--articles", small_kb, "--out", small_index_dir)
    assert built.exit_code == 0, built.output
    assert "indexed 5 articles" in built.output
    found = run("--index-dir", small_index_dir, "search", "передумала, заказ больше не нужен, его можно аннулировать?", "--json")
    assert found.exit_code == 0
    data = json.loads(found.output)
    assert data["results"][0]["id"] == "cancel-order" and data["no_match"] is False
    text = run("--index-dir", small_index_dir, "search", "how can I give back something I bought", "--limit", "2")
    assert text.output.startswith("1. [en-return-item]") and "2. [" in text.output and "3. [" not in text.output


def test_index_failure_is_reported_and_exit_is_non_zero(small_kb, small_index_dir):
    write_article(small_kb, "broken", "---\ntitle: Q\nlang: xx\n---\nBody\n")
    result = run("index", "--articles", small_kb, "--out", small_index_dir)
    assert result.exit_code == 1 and "broken.md:3" in result.output and "previous index keeps serving" in result.output


def test_search_errors(sample_index):
    assert run("--index-dir", sample_index, "search", "").exit_code == 2
    missing = run("--index-dir", sample_index.parent / "nowhere", "search", "пароль")
    assert missing.exit_code == 2 and "run `kb index` first" in missing.output


def test_eval_prints_json_metrics(tmp_path):
    from conftest import SAMPLE_ARTICLES

    (tmp_path / "set" / "articles").mkdir(parents=True)
    for name in ("cancel-order", "reset-password"):
        (tmp_path / "set" / "articles" / f"{name}.md").write_text((SAMPLE_ARTICLES / f"{name}.md").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "set" / "queries.jsonl").write_text(
        '{"query": "хочу отменить покупку", "expected": "cancel-order", "kind": "in"}\n'
        '{"query": "рецепт борща", "expected": null, "kind": "ood-oos"}\n', encoding="utf-8")
    result = run("--index-dir", tmp_path / "index", "eval", tmp_path / "set", "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    for key in ("top1", "recall_at_3", "accuracy", "no_match_recall", "false_no_match_rate", "auroc", "p50_ms", "p95_ms"):
        assert key in metrics
    assert metrics["top1"] == 1.0
