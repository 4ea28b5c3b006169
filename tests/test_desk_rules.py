"""The desk's rules: each read from its setting, the declared defaults without any, and the module
importable without building the settings or the rate-limit library."""
import subprocess
import sys
from dataclasses import fields

from conftest import make_settings

from kb.config import load_settings
from kb.desk.rules import TicketRules


def test_importing_the_rules_builds_no_settings_and_needs_no_rate_limit_library():
    code = ("import sys\n"
            "sys.modules['limits'] = sys.modules['flask_limiter'] = None  # importing either now fails\n"
            "import kb.desk.rules, kb.desk.desk\n"
            "from types import SimpleNamespace\n"
            "rules = kb.desk.rules.TicketRules.from_settings(SimpleNamespace(\n"
            "    first_response={'web': 2.0}, callback=4.0, tier_deadlines={1: 8.0}, seniority_weights={0: 1.0}, auto_assign=False,\n"
            "    working_hours='always', timezone='UTC', duplicate_threshold=0.95, duplicate_window=12.0))\n"
            "assert rules.tier_deadline(1) == 8.0 and not rules.auto_assign\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_every_rule_is_read_from_its_setting_and_defaults_to_the_declared_one():
    assert TicketRules() == TicketRules.from_settings(make_settings())
    rules = TicketRules.from_settings(load_settings({
        "KB_FIRST_RESPONSE": "web=2h", "KB_CALLBACK": "2h", "KB_TIER_DEADLINES": "1=8h", "KB_SENIORITY_WEIGHTS": "0=1",
        "KB_AUTO_ASSIGN": "0", "KB_WORKING_HOURS": "always", "KB_TIMEZONE": "Europe/Moscow",
        "KB_DUPLICATE_THRESHOLD": "0.95", "KB_DUPLICATE_WINDOW": "12h"}))
    assert rules == TicketRules(first_response_hours={"web": 2.0}, callback_hours=2.0, tier_deadline_hours={1: 8.0},
                                seniority_weights={0: 1.0}, auto_assign=False, working_hours="always",
                                timezone="Europe/Moscow", duplicate_threshold=0.95, duplicate_window_hours=12.0)
    assert all(getattr(rules, rule.name) != getattr(TicketRules(), rule.name) for rule in fields(TicketRules))
