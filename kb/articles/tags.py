"""The help site's name of each tag in each language (`_tags.yml` in the articles folder)."""
from __future__ import annotations

from pathlib import Path

import yaml

from kb.articles.parsing import LANGUAGES, YAML_LOADER, Article, Problem

TAG_NAMES_FILE = "_tags.yml"


def load_tag_names(directory, articles: list[Article] | None = None) -> tuple[dict, list[Problem]]:
    """The help site's name of each tag in each language, from `_tags.yml` in the articles folder:
    `orders: {ru: Заказы, en: Orders}`. A tag without a name is shown as it is written (a warning
    when `articles` use it and the file exists)."""
    path = Path(directory) / TAG_NAMES_FILE
    shown, names, problems = str(path), {}, []
    if path.exists():
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            return {}, [Problem(shown, mark.line + 1 if mark else 1, f"cannot read the tag names: {exc}")]
        if not isinstance(data, dict):
            return {}, [Problem(shown, 1, "the tag names must be a mapping: `tag: {ru: Имя, en: Name}`")]
        lines = {str(key): n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 for key in data if line.startswith(f"{key}:")}
        for tag, value in data.items():
            line = lines.get(str(tag), 1)
            if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
                problems.append(Problem(shown, line, f"tag {tag!r}: give its names as {{ru: Имя, en: Name}}"))
                continue
            unknown = set(value) - set(LANGUAGES)
            if unknown:
                problems.append(Problem(shown, line, f"tag {tag!r}: unknown language {sorted(unknown)[0]!r}: use ru or en"))
            names[str(tag)] = {lang: value[lang].strip() for lang in LANGUAGES if lang in value}
    # Without the file, tags are shown as written and that is the editor's choice: no warnings.
    for tag in sorted({t for a in articles or [] for t in a.tags} - set(names)) if path.exists() else []:
        problems.append(Problem(shown, 1, f"tag {tag!r} has no name: visitors see it as written", "warning"))
    return names, problems

