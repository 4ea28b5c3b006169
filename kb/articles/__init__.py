"""The knowledge base's articles: Markdown files with YAML front matter, in git. parsing.py (a file as
an `Article`), tags.py (the tag names), checking.py (what `kb check` reports), must_find.py (the
editors' regression questions), authoring.py (what editors' actions write into the folder)."""
