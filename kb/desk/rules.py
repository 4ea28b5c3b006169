"""The desk's rules: deadlines by channel and tier, assignment, duplicate detection.

Declared once, in `kb.config.Settings`; `TicketRules()` holds the defaults, `from_settings` the
effective values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kb.config import DeclaredSettings, Settings


def _default(name: str):
    return field(default_factory=lambda: _DEFAULTS[name])


@dataclass
class TicketRules:
    """Deadlines, assignment and duplicate detection for tickets."""

    first_response_hours: dict[str, float] = _default("first_response_hours")
    tier_deadline_hours: dict[int, float] = _default("tier_deadline_hours")
    # Share of new tickets by seniority (years in the team); newcomers get fewer.
    seniority_weights: dict[int, float] = _default("seniority_weights")
    auto_assign: bool = _default("auto_assign")
    working_hours: str = _default("working_hours")
    timezone: str = _default("timezone")
    duplicate_threshold: float = _default("duplicate_threshold")
    duplicate_window_hours: float = _default("duplicate_window_hours")
    duplicate_embedder: str = _default("duplicate_embedder")
    escalate_every_seconds: float = _default("escalate_every_seconds")

    @classmethod
    def from_settings(cls, settings: Settings) -> "TicketRules":
        return cls(**settings.ticket_rules_values())

    def first_response_target(self, channel: str) -> float:
        return self.first_response_hours.get(channel, 4.0)

    def tier_deadline(self, tier: int) -> float:
        return self.tier_deadline_hours.get(tier, 20.0)

    def seniority_weight(self, seniority: int) -> float:
        known = [level for level in sorted(self.seniority_weights) if level <= seniority]
        return self.seniority_weights[known[-1]] if known else 1.0


# The declared defaults, read without the environment.
_DEFAULTS = DeclaredSettings().ticket_rules_values()
