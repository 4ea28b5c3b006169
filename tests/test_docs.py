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
