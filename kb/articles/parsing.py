"""One article file as an `Article`: the YAML front matter, the public answer and the operator-only
notes; every problem found with its file and line (`load_articles` reads a whole folder)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# libyaml parses ten times faster than the pure-Python loader; a 1,000-article check takes 0.3 s.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LANGUAGES = ("ru", "en")
# The operator-only part of an article starts at a heading of any level, or a line that starts in
# bold, whose words begin like one of these, and runs to the end of the file: nothing below it is
# ever shown to visitors, whatever headings follow.
NOTES_STARTS = ("для оператор", "оператору", "операторам", "только для оператор", "внутренн", "служебн",
                "for operator", "operator note", "operator only", "operators only", "internal", "staff only")
_NOTES_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s+(?P<heading>.+?)\s*#*\s*$|\*\*(?P<bold>[^*]+?)\*\*)")
# Words that suggest operator notes in a heading that does not start them: `kb check` warns.
_NOTES_WORDS = re.compile(r"оператор|operator|internal|внутренн|служебн|staff", re.IGNORECASE)
ID_PATTERN = re.compile(r"^[^\s/\\]+$")  # ids appear in URLs and file names


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    level: str = "error"  # error | warning | note (said, never fails a check: a draft, say)

    def __str__(self):
        return f"{self.path}:{self.line}: {self.level}: {self.message}"


@dataclass
class Article:
    id: str
    title: str
    lang: str
    questions: list[str]
    tags: list[str]
    body: str  # the public answer, Markdown
    operator_notes: str = ""
    path: str = ""
    extra: dict = field(default_factory=dict)
    # The id of the article this one translates: one topic in two languages (checked by load_articles).
    translation_of: str | None = None
    # `draft: true`: written (by an editor, or from a gap suggestion) but not published or indexed yet.
    draft: bool = False

    @property
    def phrasings(self) -> list[str]:
        """The main question and every other known way of asking it."""
        return [self.title, *self.questions]

    def content_hash(self) -> str:
        text = "\x1f".join([self.id, self.title, self.lang, *self.questions, "|", *self.tags,
                            self.body, self.operator_notes])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _split_front_matter(text: str):
    """Return (yaml_text, body_text, body_first_line) or None when there is no front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:number]), "".join(lines[number + 1:]), number + 2
    return None


def _line_title(line: str) -> str | None:
    """The words of a heading, or of the bold start of a line; None for any other line."""
    found = _NOTES_LINE.match(line)
    if found is None:
        return None
    return (found.group("heading") or found.group("bold")).strip()


def _starts_notes(title: str) -> bool:
    words = " ".join(re.findall(r"\w+", title.lower().replace("ё", "е")))
    return words.startswith(NOTES_STARTS)


def _split_operator_notes(body: str) -> tuple[str, str]:
    """(public answer, operator notes): the notes run from their heading to the end of the file."""
    lines = body.splitlines()
    for number, line in enumerate(lines):
        title = _line_title(line)
        if title is not None and _starts_notes(title):
            found = _NOTES_LINE.match(line)
            rest = line[found.end():].lstrip(" :") if found.group("bold") else ""
            return "\n".join(lines[:number]).strip(), "\n".join([rest, *lines[number + 1:]]).strip()
    return body.strip(), ""


def _notes_lookalikes(public: str) -> list[tuple[int, str]]:
    """(line within the body, title) of headings in the public answer that read like notes."""
    return [(number, title) for number, line in enumerate(public.splitlines())
            if (title := _line_title(line)) is not None and _NOTES_WORDS.search(title)]


def _key_lines(yaml_text: str) -> dict[str, int]:
    """Line (within the YAML) of each top-level key, so problems can point at it."""
    found = {}
    for number, line in enumerate(yaml_text.splitlines(), start=1):
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match:
            found.setdefault(match.group(1), number)
    return found


def parse_article(text: str, path: str = "<string>", default_id: str | None = None):
    """Parse one article. Returns (article or None, problems)."""
    problems: list[Problem] = []

    def problem(line, message, level="error"):
        problems.append(Problem(path, line, message, level))

    parts = _split_front_matter(text)
    if parts is None:
        problem(1, "no YAML front matter: the file must start with a '---' line and the header must end with '---'")
        return None, problems
    yaml_text, body, body_line = parts
    try:
        meta = yaml.load(yaml_text, Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context_mark", None)
        if context is not None and context.line + 2 != line:
            reason += f" (in what begins on line {context.line + 2})"
        problem(line, f"front matter is not valid YAML: {reason}")
        return None, problems
    if not isinstance(meta, dict):
        problem(2, "front matter must be a mapping of keys (id, title, lang, questions, tags)")
        return None, problems

    lines = {key: number + 1 for key, number in _key_lines(yaml_text).items()}
    article_id = meta.get("id", default_id)
    if article_id is None or not ID_PATTERN.match(str(article_id)):
        problem(lines.get("id", 2), f"id {article_id!r} must be one word without spaces or slashes")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problem(lines.get("title", 2), "missing title: every article needs the main question as `title`")
    lang = meta.get("lang")
    if lang not in LANGUAGES:
        problem(lines.get("lang", 2), f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    questions = meta.get("questions", [])
    if questions is None:
        questions = []
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        problem(lines.get("questions", 2), "`questions` must be a list of non-empty strings")
        questions = []
    tags = meta.get("tags", [])
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, (str, int)) for t in tags):
        problem(lines.get("tags", 2), "`tags` must be a list of words")
        tags = []
    translation_of = meta.get("translation_of")
    if translation_of is not None and not (isinstance(translation_of, str) and ID_PATTERN.match(translation_of)):
        problem(lines.get("translation_of", 2), "`translation_of` must be the id of the article this one translates")
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problem(lines.get("draft", 2), "`draft` must be true or false")
        draft = False
    public, notes = _split_operator_notes(body)
    if not public and not draft:
        problem(body_line, "empty body: write the answer below the front matter")
    offset = len(body) - len(body.lstrip("\n"))  # the body's blank first lines, stripped from `public`
    for number, title in _notes_lookalikes(public):
        problem(body_line + body[:offset].count("\n") + number,
                f"heading {title!r} reads like operator notes, but visitors see what follows it; start the "
                "notes with `## Для оператора` or `## For operators` (everything below is for operators only)",
                level="warning")
    if any(p.level == "error" for p in problems):
        return None, problems
    known = {"id", "title", "lang", "questions", "tags", "translation_of", "draft"}
    article = Article(
        id=str(article_id), title=title.strip(), lang=lang,
        questions=[q.strip() for q in questions], tags=[str(t) for t in tags],
        body=public, operator_notes=notes, path=path,
        extra={k: v for k, v in meta.items() if k not in known}, translation_of=translation_of, draft=draft,
    )
    return article, problems


def load_articles(directory) -> tuple[list[Article], list[Problem]]:
    """Load every `*.md` under `directory` (files starting with `_` or `.` are not articles).

    Returns the articles that parsed and every problem found, so an editor sees them all at once.
    Drafts (`draft: true`) are not returned: each is a note ("not published"), so nothing indexes
    or shows one until the editor removes the line. Their ids are still taken.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"articles folder not found: {directory}")
    articles, problems, seen = [], [], {}
    for path in sorted(directory.rglob("*.md")):
        rel = path.relative_to(directory)
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue
        shown = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(shown, text_line_of_offset(path.read_bytes(), exc.start),
                                    "file is not valid UTF-8"))
            continue
        article, found = parse_article(text, shown, default_id=path.stem)
        problems.extend(found)
        if article is None:
            continue
        if article.id in seen:
            problems.append(Problem(shown, _id_line(text), f"duplicate id {article.id!r}: also used by {seen[article.id]}"))
            continue
        seen[article.id] = shown
        if article.draft:
            problems.append(Problem(shown, _id_line(text, "draft"), f"draft {article.id!r} is not published: "
                                    "finish the answer, then remove `draft: true` and run `kb index`", "note"))
            continue
        articles.append(article)
    return articles, problems + _translation_problems(articles)


def _translation_problems(articles: list[Article]) -> list[Problem]:
    """`translation_of` names an article in another language that is itself an original."""
    by_id = {a.id: a for a in articles}
    problems = []
    for article in articles:
        target = by_id.get(article.translation_of) if article.translation_of else None
        if article.translation_of is None:
            continue
        level = "error"
        if target is None:  # the original was removed, say: the translation still answers on its own
            why = f"translation_of {article.translation_of!r}: there is no article with that id"
            level = "warning"
        elif target.lang == article.lang:
            why = f"translation_of {target.id!r}: that article is in {target.lang} too; a translation is in another language"
        elif target.translation_of:
            why = f"translation_of {target.id!r}: that article is a translation itself; name the original, {target.translation_of!r}"
        else:
            continue
        problems.append(Problem(article.path, _key_line(article.path, "translation_of"), why, level))
    return problems


def text_line_of_offset(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _id_line(text: str, key: str = "id") -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^{key}\s*:", line):
            return number
    return 1


def _key_line(path: str, key: str) -> int:
    try:
        return _id_line(Path(path).read_text(encoding="utf-8"), key)
    except OSError:
        return 1
