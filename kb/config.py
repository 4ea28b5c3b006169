"""Every setting, declared once with its type, default and help, in groups (folders, database, search,
desk, web, brand, rate limits, worker, privacy); read from the environment (`KB_...`) and an optional file,
checked at start with every problem reported at once, an unknown `KB_...` name among them.

`load_settings()` is the one place that reads the environment; the CLI calls it, then hands the
settings object down (the web app, the desk and the worker never read the environment).
"""
from __future__ import annotations

import difflib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import time, timezone
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from kb.errors import KBError

SETTINGS_FILE = "kb.env"  # optional, in the working directory; KB_SETTINGS_FILE names another
# `KB_...` names that are not settings, so never "unknown": the settings file's own name, a command's
# option (`--as`), the evaluation's inputs, and the test suite's switches (all of KB_TEST_* and
# KB_REQUIRE_* too, such as KB_REQUIRE_POSTGRES=1 in CI).
NOT_SETTINGS = frozenset({"KB_SETTINGS_FILE", "KB_OPERATOR", "KB_EVAL_SETS", "KB_GAPS_CACHE",
                          "KB_BROWSER_LATENCY_OUT"})
NOT_SETTINGS_PREFIXES = ("KB_TEST_", "KB_REQUIRE_")


class SettingsError(KBError):
    code = "invalid_settings"


def duration_hours(text: str) -> float:
    """`90m`, `4h`, `1.5h`, `2d` or a bare number of hours."""
    text = str(text).strip().lower()
    units = {"m": 1 / 60, "h": 1.0, "d": 24.0}
    number = float(text[:-1]) if text and text[-1] in units else float(text)
    hours = number * units.get(text[-1:], 1.0)
    if not hours >= 0 or hours == float("inf"):
        raise ValueError(f"{text!r} is not a duration")
    return hours


def pairs(raw: Any, key=str, value=float) -> dict:
    """`a=1,b=2` → {"a": 1.0, "b": 2.0}; the format of the list-valued settings."""
    if isinstance(raw, dict):
        return raw
    out = {}
    for item in filter(None, (part.strip() for part in str(raw).split(","))):
        name, sign, text = item.partition("=")
        if not sign or not name.strip():
            raise ValueError(f"{item!r} is not of the form key=value")
        try:
            out[key(name.strip())] = value(text.strip())
        except ValueError:
            raise ValueError(f"{item!r}: {text.strip()!r} is not a valid value") from None
    return out


# Operators' hours, `mon-fri 09:00-18:00; sat 10:00-14:00` or `always`: parsed here so that a wrong
# value is reported at start; kb.desk.workhours counts with them.
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Schedule:
    # For each weekday (0 = Monday), the (start, end) windows of that day.
    windows: tuple[tuple[tuple[time, time], ...], ...]
    zone: ZoneInfo | timezone

    def day(self, weekday: int):
        return self.windows[weekday]


def parse_schedule(spec: str, zone: str = "UTC") -> Schedule:
    tz = timezone.utc if zone.upper() == "UTC" else ZoneInfo(zone)
    if spec.strip().lower() in ("always", "24/7"):
        return Schedule(tuple(((time(0), time.max),) for _ in DAYS), tz)
    windows: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        try:
            days, hours = part.split()
            start, end = (time.fromisoformat(h) for h in hours.split("-"))
            first, _, last = days.lower().partition("-")
            span = range(DAYS.index(first), DAYS.index(last or first) + 1)
        except ValueError:
            raise ValueError(f"working hours {part!r}: write them like `mon-fri 09:00-18:00`") from None
        if end <= start:
            raise ValueError(f"working hours {part!r}: the end must come after the start")
        for weekday in span:
            windows[weekday].append((start, end))
    if not any(windows):
        raise ValueError(f"working hours {spec!r} contain no working time")
    return Schedule(tuple(tuple(sorted(w)) for w in windows), tz)


def _env(name: str, help_text: str, default, **kwargs):
    """A field read from the variable `name` (the field's own name also works in code)."""
    return Field(default, validation_alias=AliasChoices(name, name.lower()), description=help_text, **kwargs)


# --- the groups: each declares its settings and checks them; `Settings` holds them all, flat ---------

class FolderSettings(BaseModel):
    articles_dir: Path = _env("KB_ARTICLES", "the articles folder", Path("articles"))
    index_dir: Path = _env("KB_INDEX", "the index folder (`index/current` is the serving build)", Path("index"))
    instance_dir: Path = _env("KB_INSTANCE", "the folder for the SQLite database, the generated secret key "
                              "and the worker's locks", Path("instance"))


class DatabaseSettings(BaseModel):
    database_url: str = _env("KB_DATABASE_URL", "the database (tickets): SQLite by default, "
                             "postgresql+psycopg://user@host/db for several servers", "sqlite:///instance/kb.sqlite")


class SearchSettings(BaseModel):
    embedders: Annotated[tuple[str, ...], NoDecode] = _env(
        "KB_EMBEDDERS", "encoders: minilm, use, e5, or a path to a sentence-transformers model directory",
        ("minilm", "use", "e5"))

    @field_validator("embedders", mode="before")
    @classmethod
    def _names(cls, value):
        names = tuple(n.strip() for n in value.split(",")) if isinstance(value, str) else tuple(value)
        if not names or not all(names):
            raise ValueError("give one or more encoders separated by commas")
        return names


class DeskSettings(BaseModel):
    first_response: Annotated[dict[str, float], NoDecode] = _env(
        "KB_FIRST_RESPONSE", "first-response target per channel (m, h, d)",
        "social=1h,email=4h,web=4h,chat=5m,phone=5m")
    callback: Annotated[float, NoDecode] = _env(
        "KB_CALLBACK", "first-response target of a call registered from the console for a call-back or passed "
        "on, in working hours (m, h, d)", "4h")
    tier_deadlines: Annotated[dict[int, float], NoDecode] = _env(
        "KB_TIER_DEADLINES", "solution deadline at each tier", "1=20h,2=20h,3=20h")
    auto_assign: bool = _env("KB_AUTO_ASSIGN", "0 leaves new tickets in the queue for operators to take", True)
    seniority_weights: Annotated[dict[int, float], NoDecode] = _env(
        "KB_SENIORITY_WEIGHTS", "share of new tickets by years in the team (from that many years on)",
        "0=0.5,1=0.75,2=1")
    working_hours: str = _env("KB_WORKING_HOURS", "operators' hours, for the expected answer time; "
                              "`always` for 24/7; several with `;`", "mon-fri 09:00-18:00")
    timezone: str = _env("KB_TIMEZONE", "the time zone of the working hours, e.g. Europe/Moscow", "UTC")
    duplicate_threshold: float = _env("KB_DUPLICATE_THRESHOLD", "e5 cosine (of the two questions with their "
                                      "numbers taken out; numbers in both must match) from which a customer's new "
                                      "question joins their open ticket (measured: kb/desk/duplicates.py)",
                                      0.93, ge=0.0, le=1.0)
    duplicate_window: Annotated[float, NoDecode] = _env("KB_DUPLICATE_WINDOW", "how far back the duplicate check "
                                                        "looks (m, h, d)", "24h")
    duplicate_embedder: str = _env("KB_DUPLICATE_EMBEDDER", "the encoder of the duplicate check", "e5")

    @field_validator("first_response", mode="before")
    @classmethod
    def _channels(cls, value):
        return pairs(value, value=duration_hours)

    @field_validator("tier_deadlines", mode="before")
    @classmethod
    def _tiers(cls, value):
        found = pairs(value, key=int, value=duration_hours)
        if set(found) - {1, 2, 3}:
            raise ValueError("tiers are 1, 2 and 3")
        return found

    @field_validator("seniority_weights", mode="before")
    @classmethod
    def _weights(cls, value):
        found = pairs(value, key=int)
        if any(not w > 0 for w in found.values()):
            raise ValueError("weights must be above 0")
        return found

    @field_validator("duplicate_window", "callback", mode="before")
    @classmethod
    def _window(cls, value):
        return duration_hours(value)

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value):
        parse_schedule(value, "UTC")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class WebSettings(BaseModel):
    secret_key: SecretStr | None = _env("KB_SECRET_KEY", "signs login sessions; generated into the instance "
                                        "folder on first start when unset", None)
    secure_cookies: bool = _env("KB_SECURE_COOKIES", "1 when served over HTTPS: login and language cookies "
                                "are then sent over HTTPS only", False)
    trusted_proxies: int = _env("KB_TRUSTED_PROXIES", "reverse proxies in front of the server whose "
                                "X-Forwarded-For, -Proto and -Host are believed (the client address of the "
                                "rate limits, the status page's own address); 0: none, the connection's "
                                "address counts", 0, ge=0, le=5)
    public_url: str | None = _env("KB_PUBLIC_URL", "the public base URL (https://help.example.com) of every "
                                  "absolute link, e.g. a new ticket's status_url; unset: relative links (or "
                                  "SERVER_NAME), never the request's Host header (except the status page's "
                                  "own address, shown only to its visitor)", None)

    @field_validator("public_url")
    @classmethod
    def _public(cls, value):
        from urllib.parse import urlsplit

        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("write the public base URL like https://help.example.com")
        return value.strip().rstrip("/")


# What a logo file may be, by its name's ending: served with this type, never guessed from the content.
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".webp": "image/webp"}
LOGO_MAX_BYTES = 512 * 1024


class BrandSettings(BaseModel):
    brand_name: str | None = _env("KB_BRAND_NAME", "the shop's name for its help centre, in the header and "
                                  "the title of every page (public and staff); unset: \"Help centre\" in the "
                                  "visitor's language", None, max_length=60)
    brand_logo: Path | None = _env("KB_BRAND_LOGO", "a logo file (SVG, PNG, JPEG or WebP, up to 512 kB) shown "
                                   "in the header of every page; read once at start", None)
    brand_color: str | None = _env("KB_BRAND_COLOR", "the accent colour of every page, #rrggbb (darkened where "
                                   "needed so that text on it and links in it stay readable)", None)

    @field_validator("brand_name")
    @classmethod
    def _name(cls, value):
        if value is None or not value.strip():
            return None
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("the name must be one line of text")
        return " ".join(value.split())

    @field_validator("brand_logo", mode="before")
    @classmethod
    def _logo(cls, value):
        if value is None or not str(value).strip():
            return None
        path = Path(str(value).strip())
        if path.suffix.lower() not in LOGO_TYPES:
            raise ValueError(f"the logo must be a {', '.join(sorted(LOGO_TYPES))} file, not {path.name!r}")
        if not path.is_file():
            raise ValueError(f"no logo file {path}")
        if path.stat().st_size > LOGO_MAX_BYTES:
            raise ValueError(f"the logo file is over {LOGO_MAX_BYTES // 1024} kB")
        return path

    @field_validator("brand_color")
    @classmethod
    def _color(cls, value):
        if value is None or not value.strip():
            return None
        found = re.fullmatch(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value.strip())
        if found is None:
            raise ValueError(f"write the colour like #2f5f8f, not {value[:20]!r}")
        digits = found.group(1).lower()
        return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)


class RateLimitSettings(BaseModel):
    login_limit_account: str = _env("KB_LOGIN_LIMIT_ACCOUNT", "failed logins allowed per account from one client "
                                    "address, or from one browser that signed in to it before (its device "
                                    "cookie), before that address or browser must wait (Flask-Limiter syntax)",
                                    "5 per 15 minutes")
    login_limit_address: str = _env("KB_LOGIN_LIMIT_ADDRESS", "failed logins allowed per client address",
                                    "20 per 15 minutes")
    login_limit_untrusted: str = _env("KB_LOGIN_LIMIT_UNTRUSTED", "failed logins allowed per account from all "
                                      "browsers without its device cookie together (a guess spread over many "
                                      "addresses); past it only browsers that signed in to it before can",
                                      "50 per 15 minutes")
    rate_search: str = _env("KB_RATE_SEARCH", "searches per client address (help centre pages, as-you-type "
                            "results, the API), Flask-Limiter syntax; as-you-type sends one per keystroke",
                            "120 per minute")
    rate_tickets: str = _env("KB_RATE_TICKETS", "questions sent as tickets per client address (the question "
                             "form and the API)", "10 per hour")
    rate_votes: str = _env("KB_RATE_VOTES", "\"was this helpful?\" votes per client address", "30 per hour")
    rate_staff: str = _env("KB_RATE_STAFF", "the same limits for a signed-in member of staff or an API token, "
                           "counted per account or token instead of per address", "600 per minute")
    redis_url: str | None = _env("KB_REDIS_URL", "Redis for the rate limits' counters (redis://host:6379/0), so "
                                 "they hold across worker processes and hosts; unset: each process counts in "
                                 "memory", None)

    @field_validator("login_limit_account", "login_limit_address", "login_limit_untrusted", "rate_search",
                     "rate_tickets", "rate_votes", "rate_staff")
    @classmethod
    def _rate(cls, value):
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate: write it like `120 per minute` or `10/hour`") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value):
        if value is not None and not value.strip():
            return None
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://", "redis+unix://")):
            raise ValueError("write it like redis://127.0.0.1:6379/0")
        return value


class WorkerSettings(BaseModel):
    escalate_every: float = _env("KB_ESCALATE_EVERY", "seconds between escalation runs in `kb worker`; "
                                 "0 turns them off", 60.0, ge=0.0)
    query_log_prune_every: float = _env("KB_QUERY_LOG_PRUNE_EVERY", "seconds between the query log's retention "
                                        "runs in `kb worker`; 0 turns them off", 3600.0, ge=0.0)
    gaps_every: float = _env("KB_GAPS_EVERY", "seconds between the gap finder's runs in `kb worker` (new failed "
                             "questions folded into suggestions); 0 turns them off", 300.0, ge=0.0)


class PrivacySettings(BaseModel):
    query_log_days: int = _env("KB_QUERY_LOG_DAYS", "days the query log keeps each question (masked); older "
                               "ones are deleted by `kb worker`, their daily counts kept", 90, ge=1)


# Each group's title, in the order `kb config` and the README's Configuration table show them.
GROUPS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("Folders", FolderSettings), ("Database", DatabaseSettings), ("Search", SearchSettings),
    ("Desk", DeskSettings), ("Web", WebSettings), ("Brand", BrandSettings), ("Rate limits", RateLimitSettings),
    ("Worker", WorkerSettings), ("Privacy", PrivacySettings))


class Settings(BaseSettings, FolderSettings, DatabaseSettings, SearchSettings, DeskSettings, WebSettings,
               BrandSettings, RateLimitSettings, WorkerSettings, PrivacySettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, validate_default=True,
                                      validate_assignment=True)

    # --- derived ---------------------------------------------------------------------------------

    def effective(self) -> list[tuple[str, str, str, str]]:
        """(group, variable, value, help) of every setting, secrets masked: what `kb config` prints."""
        rows = []
        for title, group in GROUPS:
            for name, field in group.model_fields.items():
                rows.append((title, env_name(name), self._shown(name), field.description or ""))
        return rows

    def _shown(self, name: str) -> str:
        value = getattr(self, name)
        if isinstance(value, SecretStr):
            return "********"
        if value is None:
            return "(unset)"
        if isinstance(value, tuple):
            return ",".join(value)
        if isinstance(value, dict):
            return ",".join(f"{k}={v:g}" for k, v in value.items())
        if name == "database_url" and "@" in str(value):
            from sqlalchemy.engine import make_url

            return make_url(value).render_as_string(hide_password=True)
        return str(value)


class DeclaredSettings(Settings):
    """The declared defaults alone, whatever the environment says (what `TicketRules()` holds)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_sources):
        return (init_settings,)


def env_name(field_name: str) -> str:
    return Settings.model_fields[field_name].validation_alias.choices[0]


def load_settings(environ=None, **overrides) -> Settings:
    """The settings from the environment (and `kb.env` or KB_SETTINGS_FILE); every problem, an unknown
    `KB_...` variable among them, in one SettingsError naming the variables."""
    environ = os.environ if environ is None else environ
    env_file = environ.get("KB_SETTINGS_FILE") or (SETTINGS_FILE if Path(SETTINGS_FILE).is_file() else None)
    if env_file and not Path(env_file).is_file():
        raise SettingsError(f"invalid settings: KB_SETTINGS_FILE: no file {env_file}")
    problems = unknown_names(environ)
    if env_file:
        from dotenv import dotenv_values

        problems += [f"{env_file}: {problem}" for problem in unknown_names(dotenv_values(env_file))]
    try:
        if environ is os.environ:
            settings = Settings(_env_file=env_file, **overrides)
        else:  # an explicit mapping (tests): read it instead of the process environment
            values = {k: v for k, v in environ.items() if k.startswith("KB_")}
            settings = Settings(_env_file=env_file, **{**values, **overrides})
    except ValidationError as exc:
        problems += describe(exc)
    if problems:
        raise SettingsError("invalid settings: " + "; ".join(problems))
    return settings


def unknown_names(variables) -> list[str]:
    """A problem for each `KB_...` name in `variables` that is neither a setting nor one of NOT_SETTINGS
    (a typo would otherwise be ignored silently), with the nearest known name."""
    settings = [env_name(name) for name in Settings.model_fields]
    known = {*settings, *NOT_SETTINGS}
    problems = []
    for name in sorted(variables):
        upper = name.upper()
        if not upper.startswith("KB_") or upper in known or upper.startswith(NOT_SETTINGS_PREFIXES):
            continue
        nearest = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {nearest[0]}?" if nearest else " (the README's Configuration lists them)"
        problems.append(f"{name}: unknown setting{hint}")
    return problems


def describe(exc: ValidationError) -> list[str]:
    """What is wrong with each variable, and why."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        name = env_name(field) if field in Settings.model_fields else field
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{name}: {message}")
    return problems


def secret_key(settings: Settings) -> str:
    """KB_SECRET_KEY, or the key generated into the instance folder the first time (never committed:
    instance/ is ignored by git)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.instance_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key-{os.getpid()}")
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # atomic, and never replaces a key another process wrote first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()
