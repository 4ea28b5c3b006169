"""The editors' regression questions (`articles/_must_find.yml`): each real question must keep finding
its article first. `kb check` runs them against the serving index and fails, naming the question and
what it found instead."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.articles.parsing import YAML_LOADER, Problem

MUST_FIND_FILE = "_must_find.yml"


@dataclass(frozen=True)
class MustFind:
    """An editors' regression question: a real question and the article it must find first."""
    question: str
    article: str
    path: str
    line: int


def load_must_find(directory, article_ids=None) -> tuple[list[MustFind], list[Problem]]:
    """The questions in `_must_find.yml` (none when the file does not exist), each with its line:

        - question: где моя посылка, заказ уже неделю в пути
          article: track-order
    """
    path = Path(directory) / MUST_FIND_FILE
    if not path.is_file():
        return [], []
    shown = str(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [Problem(shown, mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if root is None:
        return [], []
    if not isinstance(root, yaml.SequenceNode):
        return [], [Problem(shown, root.start_mark.line + 1, "must be a list of `- question: ...` / `article: ...`")]
    cases, problems = [], []
    for node in root.value:
        line = node.start_mark.line + 1
        item = yaml.load(yaml.serialize(node), Loader=YAML_LOADER) if isinstance(node, yaml.MappingNode) else None
        question, article = (item or {}).get("question"), (item or {}).get("article")
        if not (isinstance(question, str) and question.strip() and isinstance(article, str) and article.strip()):
            problems.append(Problem(shown, line, "each entry needs `question:` (a text) and `article:` (an article id)"))
        elif article_ids is not None and article not in article_ids:
            problems.append(Problem(shown, line, f"no published article {article!r} for {question!r}"))
        else:
            cases.append(MustFind(" ".join(question.split()), article.strip(), shown, line))
    return cases, problems


def must_find_problems(searcher, cases: list[MustFind]) -> list[Problem]:
    """What `searcher` (the serving index) gets wrong: an error for each question whose article is not
    first, a warning for one found first with too little confidence to answer."""
    problems = []
    for case in cases:
        response = searcher.search(case.question, limit=3)
        first = response.results[0] if response.results else None
        if first is None or first.id != case.article:
            found = (f"{first.id!r} (confidence {first.confidence:.2f})" if first else "nothing")
            problems.append(Problem(case.path, case.line, f"{case.question!r} no longer finds {case.article!r}: "
                                    f"it finds {found} first"))
        elif response.no_match:
            problems.append(Problem(case.path, case.line, f"{case.question!r} finds {case.article!r} first, but with "
                                    f"confidence {first.confidence:.2f} the answer is “no match”", "warning"))
    return problems
