"""What editors' actions write into articles/: drafts, accepted wordings; and the editors' regression
questions that `kb check` runs against the index."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_ARTICLES, write_article

from kb.articles.authoring import add_questions, write_draft
from kb.articles.parsing import load_articles, parse_article
from kb.errors import InvalidInput


def _kb(*args):
    from kb.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_accepted_wordings_go_into_questions_and_nothing_else_in_the_file_changes(tmp_path):
    path = tmp_path / "cancel-order.md"
    shutil.copy(SAMPLE_ARTICLES / "cancel-order.md", path)
    before = path.read_text(encoding="utf-8")
    added = add_questions(path, ["покупатель раздумал: верните деньги", "хочу отказаться ОТ заказа",
                                 'заказ "№ 5531" # отменить'])
    assert added == ["покупатель раздумал: верните деньги", 'заказ "№ 5531" # отменить']  # one it had already
    after = path.read_text(encoding="utf-8")
    old, new = before.splitlines(), after.splitlines()
    at = old.index("  - Отмена заказа, который уже едет") + 1
    assert new[:at] == old[:at] and new[at + 2:] == old[at:]  # two lines in, the rest byte for byte
    article, _ = parse_article(after, str(path))
    assert article.questions[-2:] == added
    assert add_questions(path, ["Хочу  отказаться от заказа?"]) == []  # the same wording: nothing written
    assert path.read_text(encoding="utf-8") == after


def test_wordings_go_into_a_flow_list_or_a_new_list_and_comments_stay(tmp_path):
    flow = write_article(tmp_path, "flow", """
---
title: Where is my parcel?   # the main question
lang: en
questions: [Track my parcel, "Where's my order"]  # from the old FAQ
tags: [orders]
---
It is on its way.
""")
    assert add_questions(flow, ["parcel status please"]) == ["parcel status please"]
    text = flow.read_text(encoding="utf-8")
    assert "title: Where is my parcel?   # the main question" in text and "# from the old FAQ" in text
    assert parse_article(text, default_id="flow")[0].questions == ["Track my parcel", "Where's my order", "parcel status please"]

    bare = tmp_path / "bare.md"
    bare.write_bytes(b"---\r\ntitle: Do you ship abroad?\r\nlang: en\r\n# no questions yet\r\n---\r\nYes.\r\n")
    add_questions(bare, ["can you deliver to Kazakhstan"])
    raw = bare.read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"")  # the file's CRLF line ends are kept
    assert b"# no questions yet" in raw
    assert parse_article(raw.decode(), default_id="bare")[0].questions == ["can you deliver to Kazakhstan"]


def test_a_file_that_does_not_parse_is_refused_and_left_alone(tmp_path):
    broken = write_article(tmp_path, "broken", "---\ntitle: [unclosed\nlang: en\n---\nBody.\n")
    before = broken.read_bytes()
    with pytest.raises(InvalidInput, match="does not parse"):
        add_questions(broken, ["anything at all"])
    assert broken.read_bytes() == before
    with pytest.raises(InvalidInput):
        add_questions(broken, [""])


def test_a_draft_is_written_once_and_not_published_until_the_editor_says(tmp_path):
    first = write_draft(tmp_path, "Do you offer gift wrapping?", "en", ["gift wrap my order", "Do you offer gift wrapping?"])
    second = write_draft(tmp_path, "Do you offer gift wrapping?", "en", ["present packaging"])
    assert first.name == "do-you-offer-gift-wrapping.md" and second.name == "do-you-offer-gift-wrapping-2.md"
    article, problems = parse_article(first.read_text(encoding="utf-8"), str(first))
    assert article.draft and article.questions == ["gift wrap my order"] and problems == []
    russian = write_draft(tmp_path, "Как сдать чужую посылку?", "ru", ["выдали чужую посылку"])
    assert russian.name.startswith("draft-") and "Как сдать чужую посылку?" in russian.read_text(encoding="utf-8")
    articles, notes = load_articles(tmp_path)
    assert articles == []
    assert len(notes) == 3 and all(n.level == "note" and "not published" in n.message for n in notes)


def test_kb_check_reports_drafts_without_failing(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SAMPLE_ARTICLES / "track-order.md", folder)
    write_draft(folder, "Do you offer gift wrapping?", "en", ["gift wrap my order"])
    result = _kb("--articles", str(folder), "check", "--strict")
    assert result.exit_code == 0, result.output
    assert "do-you-offer-gift-wrapping.md:5: note: draft" in result.output
    assert "1 draft(s) not published" in result.output


def test_kb_check_runs_the_must_find_questions_and_names_what_was_found_instead(small_kb, small_index_dir):
    from kb.search.build import build_index

    build_index(small_kb, small_index_dir)
    (small_kb / "_must_find.yml").write_text(
        "- question: клиент хочет отказаться от уже оплаченного заказа\n"
        "  article: cancel-order\n"
        "- question: how do I send back a pair of boots that are too small\n"
        "  article: cancel-order\n"
        "- question: where is my parcel\n"
        "  article: no-such-article\n", encoding="utf-8")
    result = _kb("--articles", str(small_kb), "--index-dir", str(small_index_dir), "check")
    assert result.exit_code == 1
    assert f"{small_kb / '_must_find.yml'}:3: error: 'how do I send back a pair of boots that are too small' " \
           "no longer finds 'cancel-order': it finds 'en-return-item'" in result.output
    assert "_must_find.yml:5: error: no published article 'no-such-article'" in result.output
    assert "2 must-find question(s) run" in result.output
    assert "_must_find.yml:1" not in result.output  # the first one still finds its article


def test_the_sample_must_find_questions_pass(sample_index):
    result = _kb("--index-dir", str(sample_index), "check")
    assert result.exit_code == 0, result.output
    assert "must-find question(s) run" in result.output


def test_a_completed_draft_is_found_by_a_new_wording_after_kb_index(small_kb, small_index_dir, searcher):
    from kb.search.build import build_index
    from kb.search.searcher import get_searcher

    question = "can my present be wrapped in gift paper before you ship it"  # none of the draft's wordings
    draft = write_draft(small_kb, "Do you offer gift wrapping?", "en",
                        ["gift wrap my order", "is there gift packaging", "wrap it as a present"])
    build_index(small_kb, small_index_dir)
    assert all(r.id != draft.stem for r in get_searcher(small_index_dir).search(question).results)

    # The editor writes the answer and removes the draft line; then `kb index`.
    text = draft.read_text(encoding="utf-8").replace("draft: true  # not published until this line is removed\n", "")
    draft.write_text(text.replace(text[text.index("<!--"):], "Yes: tick “gift wrapping” at checkout, it costs 150 ₽.\n"),
                     encoding="utf-8")
    build_index(small_kb, small_index_dir)
    assert get_searcher(small_index_dir).search(question).results[0].id == draft.stem


@pytest.mark.parametrize("bad", ["\u202egnipparw tfig", "gift\x85wrap", "gift \ufffe wrap"])
def test_a_wording_or_a_title_a_person_could_not_type_is_refused_and_nothing_is_written(tmp_path, bad):
    path = tmp_path / "cancel-order.md"
    shutil.copy(SAMPLE_ARTICLES / "cancel-order.md", path)
    before = path.read_bytes()
    with pytest.raises(InvalidInput, match="control character"):
        add_questions(path, ["a fine wording", bad])
    assert path.read_bytes() == before
    with pytest.raises(InvalidInput, match="control character"):
        write_draft(tmp_path, bad, "en", ["gift wrap my order"])
    with pytest.raises(InvalidInput, match="control character"):
        write_draft(tmp_path, "Gift wrapping", "en", [bad])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cancel-order.md"]
