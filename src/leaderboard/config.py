"""The one settings object, built from the environment by a function (never at import).

Every setting is declared once in `SETTINGS` with its default and help text; the README's
configuration table is checked against this list by a test, and an unknown `LEADERBOARD_*`
variable stops start-up with a "did you mean" so a typo never goes unnoticed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leaderboard.errors import ConfigError, unknown

PREFIX = "LEADERBOARD_"


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected one of on/off, true/false, yes/no, 1/0")


def _parse_positive_float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _parse_seconds(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 or more seconds")
    return value


def _parse_suite(raw: str) -> str:
    from leaderboard.suites import get_suite  # late: suites import nothing from config

    return get_suite(raw.strip()).name


def _parse_log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return level


@dataclass(frozen=True)
class Setting:
    env: str
    field: str
    default: str | None
    help: str
    parse: Callable[[str], Any] = str
    default_help: str = ""  # shown instead of `default` when the default is computed


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "open-llm-leaderboard")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "LEADERBOARD_QUEUE",
        "queue",
        "./eval-queue",
        "Queue store (request files): a folder, or `hf://datasets/<org>/<name>`.",
    ),
    Setting(
        "LEADERBOARD_RESULTS",
        "results",
        "./eval-results",
        "Results store (results files): a folder, or `hf://datasets/<org>/<name>`.",
    ),
    Setting(
        "LEADERBOARD_SUITE",
        "suite",
        "v2",
        "Benchmark suite shown first and evaluated: `v2`, `v1` or `sample`. When the stores hold "
        "no results of this suite, the board with the most models is shown instead.",
        _parse_suite,
    ),
    Setting(
        "LEADERBOARD_CACHE_DIR",
        "cache_dir",
        None,
        "Where the parsed table is cached (parquet) for fast warm starts.",
        default_help="`~/.cache/open-llm-leaderboard`",
    ),
    Setting(
        "LEADERBOARD_REFRESH_SECONDS",
        "refresh_seconds",
        "60",
        "How often the app checks the stores for new or changed files and folds them into the "
        "table without a restart; `0` turns the check off.",
        _parse_seconds,
    ),
    Setting(
        "LEADERBOARD_CO2_POWER_KW",
        "co2_power_kw",
        "5.6",
        "Power draw (kW) of the evaluation machine, for the CO₂ cost column.",
        _parse_positive_float,
    ),
    Setting(
        "LEADERBOARD_CO2_GRID_G_PER_KWH",
        "co2_grid_g_per_kwh",
        "269.8",
        "Carbon intensity of the grid (g CO₂ per kWh), for the CO₂ cost column.",
        _parse_positive_float,
    ),
    Setting(
        "LEADERBOARD_LOG_LEVEL",
        "log_level",
        "INFO",
        "Logging level: DEBUG, INFO, WARNING or ERROR.",
        _parse_log_level,
    ),
)


@dataclass(frozen=True)
class Settings:
    queue: str = "./eval-queue"
    results: str = "./eval-results"
    suite: str = "v2"
    cache_dir: str = dataclasses.field(default_factory=_default_cache_dir)
    refresh_seconds: int = 60
    co2_power_kw: float = 5.6
    co2_grid_g_per_kwh: float = 269.8
    log_level: str = "INFO"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from `environ` (default: the process environment).

    Raises ConfigError naming the variable and what it accepts.
    """
    environ = os.environ if environ is None else environ
    known = {setting.env for setting in SETTINGS}
    for name in environ:
        if name.startswith(PREFIX) and name not in known:
            raise ConfigError(str(unknown("setting", name, known)))
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None or raw == "":
            continue
        try:
            values[setting.field] = setting.parse(raw)
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{setting.env}={raw!r} is not valid: {exc}. {setting.help}") from exc
    return Settings(**values)
