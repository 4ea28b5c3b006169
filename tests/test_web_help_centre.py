"""The help centre for visitors: one language per page (Russian or English, switch remembered),
topics by tag, each topic once in lists and results, the question form without JavaScript (CSRF),
the confirmation page, and "Was this helpful?" votes stored with the question that led there."""
from __future__ import annotations

import re
from html import unescape

import pytest

RU = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def visible_text(html: str) -> str:
    """The page's words as a visitor reads them: no scripts, tags, or attribute values."""
    html = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return unescape(re.sub(r"<[^>]+>", "\n", html))


def lines_mixing(html: str, foreign: str, allowed=(), content=()) -> list[str]:
    """Lines of visible text with a word of the other alphabet (3+ letters), apart from `allowed`
    words, addresses and the lines of `content` (articles' own titles may hold a Latin word)."""
    pattern = re.compile(r"[A-Za-z]{3,}" if foreign == "latin" else r"[А-Яа-яЁё]{3,}")
    found = []
    for line in visible_text(html).splitlines():
        line = line.strip()
        if line in content or line.startswith(("http", "/")):  # an address, absolute or relative
            continue
        if line and any(word not in allowed for word in pattern.findall(line)):
            found.append(line)
    return found


def token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


# -- one language per page ---------------------------------------------------------------


def test_home_in_russian_has_topics_by_tag_with_russian_plurals(client, searcher):
    page = client.get("/", headers=RU)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="ru">' in html
    assert "Чем помочь?" in html and "Популярные темы" in html
    assert 'autofocus' in html
    # Tag names from articles/_tags.yml, in Russian, and counts with the Russian plural.
    assert "Доставка" in html and "Оплата" in html
    counts = re.findall(r"\d+ (статья|статьи|статей)\b", html)
    assert counts, "no article counts on the topic cards"
    for number, word in re.findall(r"(\d+) (статья|статьи|статей)\b", html):
        n = int(number)
        expected = "статья" if n % 10 == 1 and n % 100 != 11 else (
            "статьи" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "статей")
        assert word == expected, f"{n} {word}"
    # Only Russian copies of topics that have one: the English copy of cancel-order is not listed.
    assert "/articles/en-cancel-order" not in html and "/articles/cancel-order" in html
    titles = {a["title"] for a in searcher.articles}
    assert lines_mixing(html, "latin", allowed={"English"}, content=titles) == []


def test_home_in_english_lists_english_copies_and_english_words_only(client):
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in html and "How can we help?" in html and "Delivery" in html
    assert re.search(r"\b\d+ articles?\b", html)
    assert "/articles/en-cancel-order" in html and '/articles/cancel-order"' not in html
    # A topic with no English copy is listed in Russian, marked as such, on a line of its own.
    assert "Only in Russian" in html
    for line in lines_mixing(html, "cyrillic", allowed={"Русский"}):
        assert not re.search(r"[A-Za-z]{3,}", line), f"a line mixes the languages: {line!r}"


def test_the_language_switch_is_remembered_and_goes_back_to_the_page(client):
    switched = client.get("/language/en?next=/topics/delivery", headers=RU)
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/topics/delivery")
    cookie = switched.headers["Set-Cookie"]
    assert "lang=en" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The browser still asks for Russian, the visitor chose English: English it is, page after page.
    html = client.get("/topics/delivery", headers=RU).get_data(as_text=True)
    assert '<html lang="en">' in html and "Delivery" in html
    assert '<html lang="en">' in client.get("/", headers=RU).get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_the_switch_never_sends_the_visitor_to_another_site(client, target):
    response = client.get("/language/ru", query_string={"next": target})
    assert response.status_code == 303 and response.headers["Location"] in ("/", "http://localhost/")


def test_an_unknown_language_is_the_404_page(client):
    assert client.get("/language/de").status_code == 404


def test_error_pages_follow_the_chosen_language(client):
    client.get("/language/ru")
    html = client.get("/no-such-page", headers=EN).get_data(as_text=True)
    assert "Страница не найдена" in html and "Page not found" not in html


# -- lists and results show a topic once ----------------------------------------------------


def test_results_show_a_topic_once_in_the_visitors_language(client):
    ru = client.get("/search", query_string={"q": "передумал, хочу отказаться от покупки"}, headers=RU)
    html = ru.get_data(as_text=True)
    assert "/articles/cancel-order?" in html and "/articles/en-cancel-order" not in html
    en = client.get("/search", query_string={"q": "I changed my mind and want to call off my purchase"},
                    headers=EN).get_data(as_text=True)
    assert "/articles/en-cancel-order?" in en and "/articles/cancel-order?" not in en


def test_a_result_without_a_copy_in_the_visitors_language_is_marked(client):
    html = client.get("/search", query_string={"q": "how do bonus points for a birthday work"},
                      headers=EN).get_data(as_text=True)
    assert "/articles/birthday-bonus?" in html
    block = html[html.index("/articles/birthday-bonus?"):]
    assert "Only in Russian" in block[:600]


def test_the_results_fragment_is_the_server_rendering_without_the_page(client):
    response = client.get("/search/results", query_string={"q": "где мой заказ"}, headers=RU)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'class="result"' in html
    bad = client.get("/search/results", query_string={"q": "x" * 600}, headers=RU)
    assert bad.status_code == 400 and "По такому вопросу искать нельзя" in bad.get_data(as_text=True)


def test_markup_typed_into_the_search_is_shown_as_text(client):
    html = client.get("/search", query_string={"q": "<script>alert(1)</script> доставка"}).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# -- no answer: the question form, without JavaScript ---------------------------------------

UNANSWERABLE = "Можно ли оплатить заказ слитком золота весом в килограмм?"


def test_no_match_offers_the_form_prefilled_with_the_question(client):
    html = client.get("/search", query_string={"q": UNANSWERABLE}, headers=RU).get_data(as_text=True)
    assert "Готового ответа на этот вопрос пока нет" in html
    form = html[html.index('class="card ask-form"'):]
    assert 'action="/ask"' in html and UNANSWERABLE in form
    assert 'name="csrf_token"' in form


def test_a_form_posted_without_its_csrf_token_is_refused_and_creates_nothing(client, app):
    response = client.post("/ask", data={"question": UNANSWERABLE, "email": "anna@example.com"}, headers=RU)
    html = response.get_data(as_text=True)
    # The form comes back with what was typed and a fresh token, so nothing typed is lost.
    assert response.status_code == 400 and "Форма устарела" in html
    assert UNANSWERABLE in html and 'value="anna@example.com"' in html and token_from(html)
    with app.app_context():
        from sqlalchemy import func, select

        from kb.desk.tables import Ticket
        from webapp.core.services import services

        assert services().database.run(lambda s: s.scalar(select(func.count()).select_from(Ticket))) == 0


def _ask(client, **fields):
    page = client.get("/ask", query_string={"q": fields.get("question", "")}, headers=RU).get_data(as_text=True)
    data = {"csrf_token": token_from(page), "search_query": fields.get("question", ""), **fields}
    return client.post("/ask", data=data, headers=RU)


def test_the_question_becomes_a_request_with_a_confirmation_page(client):
    response = _ask(client, question=UNANSWERABLE, name="<b>Анна</b>", email="anna@example.com")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.search(r"/tickets/[A-Za-z0-9_-]+\?new=1$", location)
    page = client.get(location, headers=RU)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Мы получили ваш вопрос" in html
    assert re.search(r"Номер вашего обращения — \d+", html)
    assert "Место в очереди" in html and "Ожидаемое время ответа" in html
    assert re.search(r"\d{1,2} (января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря) "
                     r"\d{4}", html), "dates are not written in Russian"
    token = location.split("/tickets/")[1].split("?")[0]
    assert f"/tickets/{token}</a>" in html  # the status link, to keep
    # Times name their zone; the shop's is UTC here, which Russian writes so too.
    assert lines_mixing(html, "latin", allowed={"English", "UTC"}) == []


def test_the_form_says_what_is_missing_in_the_visitors_language_and_keeps_what_was_typed(client):
    response = _ask(client, question=UNANSWERABLE, name="Анна")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Укажите эл. почту или телефон" in html and UNANSWERABLE in html and 'value="Анна"' in html
    english = client.post("/ask", data={"csrf_token": token_from(client.get("/ask").get_data(as_text=True)),
                                        "question": "x", "email": "not an address"}, headers=EN)
    assert english.status_code == 400 and "does not look like an e-mail address" in english.get_data(as_text=True)


def test_the_same_question_again_is_a_request_of_its_own_and_reveals_nothing(client):
    first = _ask(client, question=UNANSWERABLE, email="boris@example.com")
    again = _ask(client, question=UNANSWERABLE, email="boris@example.com")
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"].startswith("/tickets/") and again.headers["Location"] != first.headers["Location"]


# -- "Was this helpful?" ---------------------------------------------------------------


def test_a_vote_is_stored_with_the_question_that_led_to_the_article(client, app):
    question = "как вернуть деньги за отменённый заказ"
    page = client.get("/articles/refund-timing", query_string={"q": question, "pos": "2"}, headers=RU)
    html = page.get_data(as_text=True)
    assert "Статья помогла?" in html
    response = client.post("/articles/refund-timing/vote", headers=RU, data={
        "csrf_token": token_from(html), "helpful": "no", "q": question, "pos": "2"})
    assert response.status_code == 303
    with app.app_context():
        from webapp.core.services import services

        votes = services().votes
        assert votes.counts("refund-timing") == {"helpful": 0, "not_helpful": 1}
        [vote] = votes.recent()
        assert vote["question"] == question and vote["position"] == 2 and vote["lang"] == "ru"
    after = client.get(response.headers["Location"], headers=RU).get_data(as_text=True)
    # "No" offers the question form, with the question that led here.
    assert "Жаль, что не помогло" in after and "Статья помогла?" not in after
    assert "/ask?q=" in after


ANSWERED = "передумал, можно отказаться от покупки?"


@pytest.mark.parametrize("path", ["/search", "/search/results"])
def test_under_an_answer_asking_a_person_is_one_link_holding_the_question(client, path):
    """The answer's own "this didn't answer my question", on the page (JavaScript off) and in the
    fragment the page's script draws; it opens the question form filled with the question."""
    html = client.get(path, query_string={"q": ANSWERED}, headers=RU).get_data(as_text=True)
    assert "Готового ответа" not in html
    first = html[html.index('class="result"'):]
    first = first[:first.index("</div>")]
    link = re.search(r'<p class="not-answered"><a href="([^"]+)">([^<]+)</a>', first)
    assert link and link.group(2) == "Это не ответ на мой вопрос"
    assert html.count('class="not-answered"') == 1  # under the answer only
    form = client.get(unescape(link.group(1)), headers=RU).get_data(as_text=True)
    assert re.search(r'<textarea[^>]*name="question"[^>]*>\s*' + re.escape(ANSWERED) + "</textarea>", form)
    assert re.search(r'name="search_query" type="hidden" value="' + re.escape(ANSWERED) + '"', form)


def test_the_question_form_keeps_the_pages_id_of_the_question_and_drops_a_bad_one(client):
    kept = client.get("/ask", query_string={"q": ANSWERED, "qid": "a1b2c3"}, headers=RU).get_data(as_text=True)
    assert re.search(r'name="qid" type="hidden" value="a1b2c3"', kept)
    dropped = client.get("/ask", query_string={"q": ANSWERED, "qid": "<b>"}, headers=RU).get_data(as_text=True)
    assert re.search(r'name="qid" type="hidden" value=""', dropped)
    refused = client.post("/ask", headers=RU, data={"csrf_token": token_from(kept), "question": ANSWERED,
                                                    "email": "anna@example.com", "qid": "not an id"})
    assert refused.status_code == 400


def test_not_helpful_shows_the_question_form_holding_the_question(client, app):
    question = "как вернуть деньги за отменённый заказ"
    page = client.get("/articles/refund-timing", query_string={"q": question, "pos": "1"}, headers=RU)
    client.post("/articles/refund-timing/vote", headers=RU, data={
        "csrf_token": token_from(page.get_data(as_text=True)), "helpful": "no", "q": question, "pos": "1"})
    after = client.get("/articles/refund-timing", query_string={"q": question}, headers=RU).get_data(as_text=True)
    vote = after[after.index('id="vote"'):]
    assert 'class="card ask-form"' in vote and 'name="csrf_token"' in vote
    assert re.search(r'<textarea[^>]*name="question"[^>]*>\s*' + re.escape(question) + "</textarea>", vote)
    sent = client.post("/ask", headers=RU, data={"csrf_token": token_from(vote), "question": question,
                                                 "search_query": question, "email": "anna@example.com"})
    assert sent.status_code == 303 and "/tickets/" in sent.headers["Location"]


def test_a_vote_without_its_csrf_token_is_refused(client, app):
    response = client.post("/articles/refund-timing/vote", data={"helpful": "yes"})
    assert response.status_code == 400
    with app.app_context():
        from webapp.core.services import services

        assert services().votes.counts("refund-timing") == {"helpful": 0, "not_helpful": 0}


def test_a_vote_for_an_unknown_article_is_a_404(client):
    page = client.get("/articles/refund-timing").get_data(as_text=True)
    response = client.post("/articles/no-such-article/vote", data={"csrf_token": token_from(page), "helpful": "yes"})
    assert response.status_code == 404
