"""The article page for visitors, /articles/<id>: Markdown rendered and sanitized, no operator notes,
the translation, related articles, and a 404 page for what is not an article."""
import re

import pytest


def page(client, article_id, lang="ru"):
    response = client.get(f"/articles/{article_id}", headers={"Accept-Language": lang})
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_the_body_is_rendered_from_markdown(client):
    html = page(client, "refund-timing")
    assert '<html lang="ru">' in html
    assert '<article class="article" lang="ru">' in html
    assert "<h1>Когда вернутся деньги за возврат или отмену?</h1>" in html
    assert re.search(r"<li><strong>Карта</strong> — 3–10 рабочих дней", html)
    assert "- **Карта**" not in html and "**" not in html


def test_operator_notes_are_never_sent(client, searcher):
    notes = searcher.by_id["refund-timing"]["operator_notes"]
    assert "RRN/ARN" in notes  # the sample has notes to hide
    html = page(client, "refund-timing")
    assert "Для оператора" not in html and "RRN/ARN" not in html and "эскалация" not in html


def test_breadcrumbs_lead_home_and_name_the_first_tag(client):
    html = page(client, "refund-timing")
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group()
    assert '<a href="/">Справочный центр</a>' in crumbs and '<a href="/topics/payment">Оплата</a>' in crumbs
    english = re.search(r'<nav class="breadcrumbs".*?</nav>', page(client, "refund-timing", "en"), re.S).group()
    assert '<a href="/">Help centre</a>' in english and '<a href="/topics/payment">Payment</a>' in english


def test_the_translation_is_linked_both_ways(client):
    # The interface is the visitor's; an article in the other language links to their copy.
    english_for_russian = page(client, "en-refund-timing", "ru")
    assert '<html lang="ru">' in english_for_russian and '<article class="article" lang="en">' in english_for_russian
    assert re.search(r'<a href="/articles/refund-timing"[^>]*>Читать эту статью на русском</a>', english_for_russian)
    russian_for_english = page(client, "refund-timing", "en")
    assert re.search(r'<a href="/articles/en-refund-timing"[^>]*>Read this article in English</a>', russian_for_english)
    # The header's switch on an article goes to the same topic in the other language.
    russian = page(client, "refund-timing", "ru")
    assert 'href="/language/en?next=/articles/en-refund-timing"' in russian
    assert '<link rel="alternate" hreflang="en" href="/articles/en-refund-timing">' in russian


def test_an_article_without_a_translation_has_no_translation_link(client, searcher):
    topics = searcher.build.topic
    alone = next(a for i, a in enumerate(searcher.articles) if (topics == topics[i]).sum() == 1 and a["lang"] == "ru")
    html = page(client, alone["id"], "en")
    assert "Read this article in" not in html and "This article is only in Russian." in html
    assert "only in" not in page(client, alone["id"], "ru").lower()


def test_related_articles_are_other_topics_in_the_visitors_language(client, searcher):
    html = page(client, "en-refund-timing", "ru")
    section = re.search(r'<section class="related".*?</section>', html, re.S).group()
    linked = re.findall(r'<a href="/articles/([^"]+)"', section)
    assert len(linked) == 3
    assert "refund-timing" not in linked and "en-refund-timing" not in linked
    assert all(searcher.by_id[i]["lang"] == "ru" for i in linked)
    for article_id in linked:
        assert f">{searcher.by_id[article_id]['title']}</a>" in section


def test_the_page_shows_no_ids_or_percentages(client):
    html = page(client, "refund-timing")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<head>.*?</head>", "", html, flags=re.S))
    assert "refund-timing" not in text and "%" not in text
    assert "<script" not in html and "style=" not in html


@pytest.mark.parametrize("path", [
    "/articles/no-such-article", "/articles/%00", "/articles/a%20b", "/articles/%5Cx", "/articles/%ED%A0%80",
    "/articles/" + "x" * 300, "/articles/a/b", "/articles/<script>",
])
def test_what_is_not_an_article_is_the_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>Page not found</h1>" in response.get_data(as_text=True)


def test_a_hostile_body_is_sanitized_and_article_links_resolve(small_kb, small_index_dir):
    from conftest import make_settings, write_article

    from kb.search.build import build_index
    from webapp import create_app

    write_article(small_kb, "en-gift-wrap", """
---
id: en-gift-wrap
title: Can you gift wrap my parcel?
lang: en
questions: [Do you offer gift wrapping]
tags: [orders]
---
Gift wrapping costs 3 EUR. <script>alert("wrap")</script><style>body{display:none}</style>
Pick <b onclick="steal()">Gift wrap</b> at checkout. <img src="x" onerror="alert(1)">
[Click me](javascript:alert(1)), [also](JavaScript:alert(2)), [cancel](cancel-order),
[return](/articles/en-return-item#how), [nowhere](no-such-article), [shop](https://example.com/gifts).

## For operators
Wrap paper is in cupboard 3.
""")
    build_index(small_kb, small_index_dir)
    client = create_app(make_settings(index_dir=small_index_dir), {"TESTING": True}).test_client()
    html = page(client, "en-gift-wrap")
    body = re.search(r'<div class="article-body">(.*?)</div>', html, re.S).group(1)
    assert "<script" not in html and "alert(" not in html and "<style" not in body and "display:none" not in html
    assert "onclick" not in html and "onerror" not in html and "<img" not in html
    assert "javascript:" not in html.lower()
    assert "<b>Gift wrap</b>" in body
    assert '<a href="/articles/cancel-order">cancel</a>' in body
    assert '<a href="/articles/en-return-item#how">return</a>' in body
    assert "<a>nowhere</a>" in body  # no such article: the words stay, the link goes
    assert '<a href="https://example.com/gifts">shop</a>' in body
    assert "cupboard" not in html


def test_related_articles_in_the_other_language_say_so(client, searcher):
    marked = 0
    for article in (a for a in searcher.articles if a["lang"] == "en"):
        section = re.search(r'<section class="related".*?</section>', page(client, article["id"], "en"), re.S)
        for item in re.findall(r"<li>(.*?)</li>", section.group() if section else "", re.S):
            linked = searcher.by_id[re.search(r'href="/articles/([^"]+)"', item).group(1)]
            assert ("Only in Russian" in item) == (linked["lang"] == "ru"), item
            marked += linked["lang"] == "ru"
    assert marked  # the sample has English articles whose nearest topics are only in Russian
