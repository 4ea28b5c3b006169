import pytest
from conftest import SAMPLE_ARTICLES

from kb.errors import QueryError


def test_finds_the_article_for_a_differently_worded_question(searcher):
    response = searcher.search("я забыл пароль и не могу войти")
    assert response.results[0].id == "reset-password"
    assert not response.no_match and response.confidence > 0.5
    top = response.results[0]
    assert top.lang == "ru" and top.title and top.matched and 0 <= top.confidence <= 1


@pytest.mark.parametrize("question", ["Как отменить заказы", "как отменить заказ", "отмена заказа"])
def test_russian_word_forms_find_the_same_article(searcher, question):
    assert searcher.search(question).results[0].id == "cancel-order"


def test_keyword_index_stems_russian_word_forms(searcher):
    plural, singular = searcher.keyword_scores("заказы"), searcher.keyword_scores("заказ")
    assert (plural > 0).sum() > 3 and ((plural > 0) == (singular > 0)).all()


def test_english_question(searcher):
    assert searcher.search("how can I send back an item I bought").results[0].id == "en-return-item"


def test_off_topic_question_is_no_match(searcher):
    for question in ("какая завтра погода в Сочи", "who won the football world cup in 2010"):
        response = searcher.search(question)
        assert response.no_match and response.confidence < 0.5, question


def test_language_filter(searcher):
    assert {r.lang for r in searcher.search("reset password", lang="ru").results} == {"ru"}


def test_snippet_marks_question_words_and_escapes_html(searcher):
    response = searcher.search("как сбросить пароль")
    assert "<mark>" in response.results[0].snippet
    assert "<script" not in response.results[0].snippet


def test_russian_question_finds_the_english_only_article(tmp_path, cache_dir):
    import shutil

    from kb.search.build import build_index
    from kb.search.searcher import Searcher

    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("en-customs-duties", "en-reset-password", "en-track-order", "en-cancel-order"):
        shutil.copy(SAMPLE_ARTICLES / f"{name}.md", folder)
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "cache").symlink_to(cache_dir)
    build_index(folder, tmp_path / "index")
    searcher = Searcher(tmp_path / "index")
    assert searcher.search("Придётся ли платить таможенную пошлину за посылку").results[0].id == "en-customs-duties"
    assert searcher.search("Я не помню свой пароль").results[0].id == "en-reset-password"


@pytest.mark.parametrize("query, message", [("", "empty"), ("   ", "empty"), ("x" * 501, "too long"), (None, "text")])
def test_bad_queries_get_a_clear_error(searcher, query, message):
    with pytest.raises(QueryError, match=message):
        searcher.search(query)


def test_bad_limit_and_language(searcher):
    with pytest.raises(QueryError, match="limit"):
        searcher.search("пароль", limit=0)
    with pytest.raises(QueryError, match="language"):
        searcher.search("пароль", lang="de")
