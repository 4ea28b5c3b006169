from collections import Counter

import pytest
from conftest import SAMPLE_ARTICLES, write_article

from kb.articles.checking import check_articles
from kb.articles.parsing import load_articles, parse_article

GOOD = """---
id: {id}
title: {title}
lang: ru
questions:
  - Хочу отказаться от покупки
  - Можно ли аннулировать заказ
tags: [orders]
---
Откройте Личный кабинет и нажмите «Отменить».

## Для оператора
Проверьте статус в складской системе.
"""


def test_sample_knowledge_base_is_complete_and_clean():
    articles, problems = check_articles(SAMPLE_ARTICLES)
    assert [p for p in problems if p.level == "error"] == []
    langs = Counter(a.lang for a in articles)
    assert len(articles) >= 40 and langs["ru"] >= 25 and langs["en"] >= 15
    assert all(len(a.questions) >= 3 and a.body for a in articles)
    assert sum(bool(a.operator_notes) for a in articles) >= 5


def test_operator_section_is_split_from_the_public_answer():
    article, problems = parse_article(GOOD.format(id="cancel", title="Как отменить заказ?"), "a.md")
    assert problems == []
    assert article.body == "Откройте Личный кабинет и нажмите «Отменить»."
    assert article.operator_notes == "Проверьте статус в складской системе."
    assert article.phrasings[0] == "Как отменить заказ?" and len(article.phrasings) == 3


def test_id_defaults_to_file_name(tmp_path):
    write_article(tmp_path, "no-id", GOOD.format(id="x", title="Вопрос?").replace("id: x\n", ""))
    articles, problems = load_articles(tmp_path)
    assert problems == [] and articles[0].id == "no-id"


def test_every_problem_is_reported_with_file_and_line(tmp_path):
    write_article(tmp_path, "bad-yaml", "---\nid: bad-yaml\ntitle: [unclosed\nlang: ru\n---\nBody\n")
    write_article(tmp_path, "no-title", "---\nid: no-title\nlang: ru\n---\nBody\n")
    write_article(tmp_path, "bad-lang", "---\nid: bad-lang\ntitle: Q?\nlang: de\n---\nBody\n")
    write_article(tmp_path, "bad-questions", "---\nid: bad-questions\ntitle: Q?\nlang: en\nquestions: just one string\n---\nBody\n")
    write_article(tmp_path, "empty-body", "---\nid: empty-body\ntitle: Q?\nlang: en\n---\n\n   \n")
    write_article(tmp_path, "no-front-matter", "Just text\n")
    write_article(tmp_path, "dup-a", GOOD.format(id="same", title="Первый вопрос?"))
    write_article(tmp_path, "dup-b", GOOD.format(id="same", title="Второй вопрос про доставку?"))
    articles, problems = load_articles(tmp_path)
    found = {(p.path.rsplit("/", 1)[-1], p.line): p.message for p in problems}
    assert "not valid YAML" in found[("bad-yaml.md", 4)] and "begins on line 3" in found[("bad-yaml.md", 4)]
    assert "missing title" in found[("no-title.md", 2)]
    assert "unknown language 'de'" in found[("bad-lang.md", 4)]
    assert "list of non-empty strings" in found[("bad-questions.md", 5)]
    assert "empty body" in found[("empty-body.md", 6)]
    assert "no YAML front matter" in found[("no-front-matter.md", 1)]
    assert "duplicate id 'same'" in found[("dup-b.md", 2)]
    assert [a.id for a in articles] == ["same"]


def test_near_duplicate_articles_are_a_warning(tmp_path):
    write_article(tmp_path, "one", GOOD.format(id="one", title="Как отменить заказ?"))
    write_article(tmp_path, "two", GOOD.format(id="two", title="Как отменить мой заказ?"))
    articles, problems = check_articles(tmp_path)
    assert len(articles) == 2
    assert [p.level for p in problems] == ["warning"]
    assert "near-duplicate" in problems[0].message


def test_the_english_operator_heading_is_split_from_the_public_answer_too():
    text = ("---\nid: en-x\ntitle: Where is my order?\nlang: en\n---\nIt is on its way.\n\n"
            "## For operators\nCheck the warehouse system.\n\n## Delivery times\nTwo to five days.\n")
    article, problems = parse_article(text, "en-x.md")
    assert not problems
    assert article.body == "It is on its way."  # the notes run to the end, whatever headings follow
    assert article.operator_notes == "Check the warehouse system.\n\n## Delivery times\nTwo to five days."


def test_translation_of_names_an_original_in_another_language(tmp_path):
    write_article(tmp_path, "cancel", "---\ntitle: Как отменить заказ?\nlang: ru\n---\nНажмите «Отменить».\n")
    write_article(tmp_path, "en-cancel", "---\ntitle: How do I cancel?\nlang: en\ntranslation_of: cancel\n---\nPress Cancel.\n")
    write_article(tmp_path, "ru-copy", "---\ntitle: Отмена заказа\nlang: ru\ntranslation_of: cancel\n---\nТак же.\n")
    write_article(tmp_path, "de-chain", "---\ntitle: Stornieren?\nlang: ru\ntranslation_of: en-cancel\n---\nТекст.\n")
    write_article(tmp_path, "en-orphan", "---\ntitle: Orphan\nlang: en\n\ntranslation_of: gone\n---\nText.\n")
    articles, problems = load_articles(tmp_path)
    assert {a.id: a.translation_of for a in articles}["en-cancel"] == "cancel"
    found = {(p.path.rsplit("/", 1)[-1], p.line, p.level): p.message for p in problems}
    assert "in ru too" in found[("ru-copy.md", 4, "error")]
    assert "translation itself" in found[("de-chain.md", 4, "error")] and "'cancel'" in found[("de-chain.md", 4, "error")]
    assert "no article with that id" in found[("en-orphan.md", 5, "warning")]
    assert not any(name == "en-cancel.md" for name, _line, _level in found)


@pytest.mark.parametrize("notes", ["### For operators\nCall the depot.", "## Internal notes\nCall the depot.",
                                   "## For operators only\nCall the depot.", "**Для оператора:** Call the depot.",
                                   "**Для оператора**\nCall the depot.",
                                   "## Для оператора\nЗвоните на склад.\n\n## Call the depot\nAt once."])
def test_no_way_of_writing_the_operator_notes_leaks_them_to_visitors(notes):
    text = f"---\nid: x\ntitle: Where is my order?\nlang: en\n---\nIt is on its way.\n\n{notes}\n"
    article, problems = parse_article(text, "x.md")
    assert article.body == "It is on its way." and "depot" in article.operator_notes.lower()
    assert "depot" not in article.body.lower() and "склад" not in article.body and not problems


def test_check_warns_about_a_heading_that_reads_like_notes_but_is_not_one():
    text = ("---\nid: x\ntitle: How do I reach support?\nlang: en\n---\nWrite to us.\n\n"
            "## Talk to an operator\nCall 8-800.\n")
    article, problems = parse_article(text, "x.md")
    assert article.body.endswith("Call 8-800.")  # public: it does not start like notes
    assert [(p.line, p.level) for p in problems] == [(8, "warning")] and "Talk to an operator" in problems[0].message


def test_tag_names_are_read_and_checked(tmp_path):
    from kb.articles.tags import load_tag_names

    write_article(tmp_path, "a", "---\ntitle: Где заказ?\nlang: ru\ntags: [orders, gifts]\n---\nОтвет.\n")
    (tmp_path / "_tags.yml").write_text("# names\norders: {ru: Заказы, en: Orders}\nbroken: Заказы\n",
                                        encoding="utf-8")
    names, problems = load_tag_names(tmp_path)
    assert names == {"orders": {"ru": "Заказы", "en": "Orders"}}
    assert [(p.line, p.level) for p in problems] == [(3, "error")] and "broken" in problems[0].message
    _articles, found = check_articles(tmp_path)
    assert any(p.level == "warning" and "'gifts' has no name" in p.message for p in found)
    (tmp_path / "_tags.yml").write_text("orders: [unclosed\n", encoding="utf-8")
    _names, problems = load_tag_names(tmp_path)
    assert problems and problems[0].path.endswith("_tags.yml") and problems[0].line >= 1
