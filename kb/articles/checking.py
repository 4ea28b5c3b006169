"""Everything `kb check` reports on the articles folder: what parsing found, near-duplicate articles,
the tag names."""
from __future__ import annotations

from kb.articles.parsing import Article, Problem, load_articles
from kb.articles.tags import load_tag_names


def near_duplicates(articles: list[Article], threshold: float = 0.8) -> list[Problem]:
    """Warn about pairs of articles whose questions read almost the same (character n-grams).

    Two articles answering the same question split the votes of search and confuse customers.
    """
    if len(articles) < 2:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [" ".join(a.phrasings).lower() for a in articles]
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(texts)
    similarity = (matrix @ matrix.T).toarray()
    problems = []
    for i in range(len(articles)):
        for j in range(i + 1, len(articles)):
            if similarity[i, j] >= threshold:
                problems.append(Problem(
                    articles[j].path, 1,
                    f"near-duplicate of {articles[i].path} ({articles[i].id!r}, similarity {similarity[i, j]:.2f}): "
                    "merge them or make the questions distinct", level="warning"))
    return problems


def check_articles(directory) -> tuple[list[Article], list[Problem]]:
    """Everything `kb check` reports: parse problems, duplicates, near-duplicates, tag names."""
    articles, problems = load_articles(directory)
    _names, tag_problems = load_tag_names(directory, articles)
    return articles, problems + near_duplicates(articles) + tag_problems
