"""Every command, every API route and every setting is documented in the README."""
import re

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


def test_every_setting_is_documented_in_its_group():
    from kb.config import NOT_SETTINGS, DeclaredSettings, env_name

    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    groups = {part.split("\n", 1)[0]: part for part in section.split("\n### ")[1:]}
    for group, name, _value, help_text in DeclaredSettings().effective():
        assert f"| `{name}` |" in groups.get(group, ""), f"{name} is not in the README's {group} table"
        assert help_text, f"{name} has no help"
    settings = {env_name(field) for field in DeclaredSettings.model_fields}
    for name in re.findall(r"^\| `(KB_\w+)` \|", section, re.MULTILINE):
        assert name in settings | NOT_SETTINGS, f"the README documents {name}, which is no setting"


def test_the_layout_section_names_every_module():
    layout = README.split("## Layout", 1)[1]
    for path in sorted((ROOT / "kb").rglob("*.py")) + sorted((ROOT / "webapp").rglob("*.py")):
        if path.name.startswith("__") or "migrations" in path.parts:
            continue
        assert path.name in layout, f"{path.relative_to(ROOT)} is not in the README's Layout section"
