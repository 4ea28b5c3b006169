"""Every command and every API route is documented in the README."""
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_cli_command_is_documented():
    from kb.cli import main

    for name in main.commands:
        assert f"`kb {name}" in README, f"kb {name} is not in the README"


def test_every_api_route_is_documented(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            documented = rule.rule.replace("<path:article_id>", "<id>")
            assert documented in README, f"{rule.rule} is not in the README"


def test_every_setting_is_documented():
    from kb.config import DeclaredSettings

    for name, _value, help_text in DeclaredSettings().effective():
        assert f"| `{name}` |" in README, f"{name} is not in the README's Configuration table"
        assert help_text, f"{name} has no help"


def test_the_layout_section_names_every_module():
    layout = README.split("## Layout", 1)[1]
    for path in sorted((ROOT / "kb").rglob("*.py")) + sorted((ROOT / "webapp").glob("*.py")):
        if path.name.startswith("__") or "migrations" in path.parts:
            continue
        assert path.name in layout, f"{path.relative_to(ROOT)} is not in the README's Layout section"
