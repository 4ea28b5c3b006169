"""The desk's rules: deadlines by channel and tier, assignment, duplicate detection, working hours.

Each rule names the setting it comes from (`KB_...`, declared once with its default, help and parsing
in `kb.config.Settings`): `from_settings` reads those, and `TicketRules()` the declared defaults,
read the first time they are needed. Importing this module builds no settings, so the desk can be
imported without what the settings check (the rate-limit syntax, for one).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.config import Settings


def _setting(name: str):
    """A rule read from the setting `name`; without a value given, that setting's declared default."""
    return field(default_factory=lambda: _read(_declared(), name), metadata={"setting": name})


def _read(settings: Settings, name: str):
    return copy.copy(attrgetter(name)(settings))  # a copy: the rules never share a dict with the settings


@cache
def _declared() -> Settings:
    from kb.config import DeclaredSettings

    return DeclaredSettings()


@dataclass(frozen=True)
class TicketRules:
    """Deadlines, assignment, duplicate detection and working hours for tickets."""

    first_response_hours: dict[str, float] = _setting("first_response")
    # A call registered for a call-back (or passed on): the customer has been spoken to, so the next
    # contact is due within these working hours, not the channel's minutes.
    callback_hours: float = _setting("callback")
    tier_deadline_hours: dict[int, float] = _setting("tier_deadlines")
    # Share of new tickets by seniority (years in the team); newcomers get fewer.
    seniority_weights: dict[int, float] = _setting("seniority_weights")
    auto_assign: bool = _setting("auto_assign")
    working_hours: str = _setting("working_hours")
    timezone: str = _setting("timezone")
    duplicate_threshold: float = _setting("duplicate_threshold")
    duplicate_window_hours: float = _setting("duplicate_window")

    @classmethod
    def from_settings(cls, settings: Settings) -> TicketRules:
        return cls(**{rule.name: _read(settings, rule.metadata["setting"]) for rule in fields(cls)})

    def first_response_target(self, channel: str) -> float:
        return self.first_response_hours.get(channel, 4.0)

    def tier_deadline(self, tier: int) -> float:
        return self.tier_deadline_hours.get(tier, 20.0)

    def seniority_weight(self, seniority: int) -> float:
        known = [level for level in sorted(self.seniority_weights) if level <= seniority]
        return self.seniority_weights[known[-1]] if known else 1.0
