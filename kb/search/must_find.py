"""The editors' regression questions (`articles/_must_find.yml`) run against the serving index: each
must still find its article first. `kb check` fails, naming the question and what it found instead."""
from __future__ import annotations

from kb.articles import MustFind, Problem


def must_find_problems(searcher, cases: list[MustFind]) -> list[Problem]:
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
