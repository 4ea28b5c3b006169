"""What an editor's actions write into the articles folder: a new draft article from the questions
customers asked, and accepted customer wordings added to an article's `questions:`.

Files stay the editor's: an addition changes only the `questions:` lines of the front matter (the
rest of the file, its comments and its layout, byte for byte as it was), is checked by parsing the
result before anything is written, and is written atomically. The editor then reviews the change
and commits it in git, as any other edit.
"""
from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import yaml

from kb.articles.parsing import LANGUAGES, parse_article
from kb.errors import Conflict, InvalidInput, NotFound
from kb.text import same_text, text_problem

_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_QUESTIONS = re.compile(r"^questions\s*:(?P<rest>.*)$")
DRAFT_BODY = "<!-- The answer goes here. When it is ready, remove `draft: true` and run `kb index`. -->\n"


def _yaml_item(text: str) -> str:
    """The text as one YAML scalar on one line, quoted wherever YAML would read it as something else
    (`yes` as true, `007` as 7, `0x1f` as 31, `a: b` as a mapping). The text is on one line already
    (its whitespace collapsed), so the dump is too."""
    dumped = yaml.safe_dump(text, allow_unicode=True, width=float("inf"))
    return dumped.removesuffix("\n").removesuffix("\n...").removesuffix("\n")


def _checked_wordings(wordings) -> list[str]:
    if not isinstance(wordings, (list, tuple)) or not all(isinstance(w, str) for w in wordings):
        raise InvalidInput("the wordings must be a list of texts")
    # Checked as typed (str.split would fold U+0085 into a space); a wording comes from the query
    # log, which may hold what an older filter let through.
    if problem := next(filter(None, (text_problem(w, "a wording", 10_000) for w in wordings)), None):
        raise InvalidInput(problem)
    cleaned = [" ".join(w.split()) for w in wordings]
    if any(not w or len(w) > 500 for w in cleaned):
        raise InvalidInput("each wording must be 1 to 500 characters")
    return cleaned


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_questions(path, wordings) -> list[str]:
    """Add customer wordings to the article's `questions:`; returns those added (a wording the
    article already has, in any case or spacing, is skipped). Raises InvalidInput when the file
    would not parse afterwards, and then writes nothing."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"no article file {path.name}")
    wordings = _checked_wordings(wordings)
    with path.open(encoding="utf-8", newline="") as handle:  # as written: CRLF line ends stay
        text = handle.read()
    before, problems = parse_article(text, path.name, default_id=path.stem)
    if before is None:
        raise InvalidInput(f"{path.name} does not parse now; fix it first: {problems[0]}")
    known = {same_text(q) for q in before.phrasings}
    new = []
    for wording in wordings:
        if same_text(wording) not in known:
            known.add(same_text(wording))
            new.append(wording)
    if not new:
        return []
    updated = _with_questions(text, new)
    after, problems = parse_article(updated, path.name, default_id=path.stem)
    if after is None or after.questions != before.questions + new:
        raise InvalidInput(f"adding the wordings would break {path.name}; add them by hand "
                           f"({problems[0] if problems else 'the questions did not read back'})")
    _write_atomically(path, updated)
    return new


def _with_questions(text: str, new: list[str]) -> str:
    """The file's text with `new` appended to the front matter's `questions:` list."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    end = next(n for n, line in enumerate(lines[1:], start=1) if line.strip() in ("---", "..."))
    start = next((n for n in range(1, end) if _QUESTIONS.match(lines[n])), None)
    if start is None:  # no `questions:` yet: a new block just before the closing line
        block = [f"questions:{newline}"] + [f"  - {_yaml_item(w)}{newline}" for w in new]
        return "".join(lines[:end] + block + lines[end:])
    rest = _QUESTIONS.match(lines[start].rstrip("\r\n")).group("rest")
    value = rest.split(" #")[0].strip()
    if value not in ("", "[]"):  # a flow list, `[a, b]`: rewritten as a block list, on its own lines
        existing = yaml.safe_load(value) or []
        comment = rest[len(rest.split(" #")[0]):].strip()
        block = [f"questions:{' ' + comment if comment else ''}{newline}"]
        block += [f"  - {_yaml_item(q)}{newline}" for q in [*existing, *new]]
        return "".join(lines[:start] + block + lines[start + 1:])
    # A block list: its items are the indented lines below the key; add after the last item.
    last, indent = start, "  - "
    for n in range(start + 1, end):
        line = lines[n]
        if _TOP_KEY.match(line):
            break
        item = re.match(r"^(\s*-\s+)", line)
        if item:
            last, indent = n, item.group(1)
        elif line.strip() and not line.lstrip().startswith("#") and last > start:
            last = n  # a wrapped continuation of the item above
    block = [f"{indent}{_yaml_item(w)}{newline}" for w in new]
    if value == "[]":
        lines[start] = lines[start].replace("[]", "", 1).rstrip() + newline
    return "".join(lines[:last + 1] + block + lines[last + 1:])


# A draft's id is its file name: far under the 255 bytes a file name may have, with room for "-99.md".
MAX_SLUG = 60


def _slug(title: str) -> str:
    """The title's first six words, cut to MAX_SLUG characters at a word's end where there is one."""
    slug = "-".join(re.findall(r"[a-z0-9]+", title.lower())[:6])
    if len(slug) > MAX_SLUG:
        cut = slug[:MAX_SLUG + 1].rsplit("-", 1)[0]
        slug = cut if "-" in slug[:MAX_SLUG + 1] else slug[:MAX_SLUG]
    return slug


def write_draft(folder, title: str, lang: str, questions, *, tags=(), now: datetime | None = None) -> Path:
    """A new article file marked `draft: true`, with the title and the customers' wordings as its
    questions and an empty answer for the editor to write. Never overwrites a file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFound("the articles folder (KB_ARTICLES) is not there")
    if problem := text_problem(title, "the title", 10_000):
        raise InvalidInput(problem)
    title = " ".join((title or "").split())
    if not title or len(title) > 300:
        raise InvalidInput("the draft needs a title of 1 to 300 characters")
    if lang not in LANGUAGES:
        raise InvalidInput(f"the language must be one of {', '.join(LANGUAGES)}")
    questions = [q for q in _checked_wordings(list(questions)) if same_text(q) != same_text(title)]
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d")
    base = _slug(title) if lang == "en" and _slug(title) else f"draft-{stamp}"
    for attempt in range(1, 100):
        article_id = base if attempt == 1 else f"{base}-{attempt}"
        path = folder / f"{article_id}.md"
        if path.exists():
            continue
        lines = [f"id: {_yaml_item(article_id)}", f"title: {_yaml_item(title)}", f"lang: {lang}",
                 "draft: true  # not published until this line is removed", "questions:",
                 *[f"  - {_yaml_item(q)}" for q in questions], f"tags: [{', '.join(map(_yaml_item, tags))}]"]
        text = "---\n" + "\n".join(lines) + "\n---\n" + DRAFT_BODY
        parsed, problems = parse_article(text, path.name, default_id=article_id)
        if parsed is None:
            raise InvalidInput(f"the draft would not parse: {problems[0]}")
        try:
            with path.open("x", encoding="utf-8") as out:  # never replaces a file written meanwhile
                out.write(text)
        except FileExistsError:
            continue
        return path
    raise Conflict(f"no free file name for a draft like {base}.md")

