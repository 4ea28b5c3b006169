"""`/search?q=`: the help centre's results rendered on the server, so a visitor without JavaScript
gets them too; results link to the article pages and show no internal ids or percentages."""
import re


def test_the_search_page_renders_results_without_javascript(client):
    page = client.get("/search", query_string={"q": "когда вернут деньги за возвращённую покупку"},
                      headers={"Accept-Language": "ru"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The link carries the question and the place, so a vote on the article is stored with them.
    assert re.search(r'<a href="/articles/refund-timing\?q=[^"]+&amp;pos=1">', html) and "<mark>" in html
    assert 'value="когда вернут деньги за возвращённую покупку"' in html
    # No ids, no confidence percentages for visitors (an article's own words, a snippet, may hold a "7%").
    shown = re.sub(r'<p class="snippet"[^>]*>.*?</p>', " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", shown)
    assert "refund-timing" not in text and "%" not in text


def test_a_question_nothing_answers_says_so_plainly(client):
    html = client.get("/search", query_string={"q": "рецепт блинов на молоке"},
                      headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Готового ответа на этот вопрос пока нет" in html and "no ready answer" not in html
    english = client.get("/search", query_string={"q": "рецепт блинов на молоке"},
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "We have no ready answer to this yet." in english and "Готового ответа" not in english


def test_markup_in_the_question_is_shown_as_text(client):
    html = client.get("/search", query_string={"q": "<script>alert(1)</script> пароль"}).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_an_empty_question_goes_home_and_a_control_character_is_a_400_page(client):
    assert client.get("/search", query_string={"q": "  "}).status_code == 302
    bad = client.get("/search", query_string={"q": "пароль\x00"})
    assert bad.status_code == 400 and bad.mimetype == "text/html"


def test_the_home_page_search_works_without_javascript(client):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in html and 'method="get"' in html
    # As the visitor types, the script swaps in the server's own results: the same markup, no percentages.
    assert 'data-search-api="/search/results"' in html
    script = client.get("/static/help.js").get_data(as_text=True)
    assert "searchApi" in script and "confidence" not in script
