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


def _non_negative(unit: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if value < 0:
            raise ValueError(f"must be 0 or more{unit}")
        return value

    return parse


_parse_seconds = _non_negative(" seconds")
_parse_count = _non_negative("")


def _parse_suite(raw: str) -> str:
    from leaderboard.suites import get_suite  # late: suites import nothing from config

    return get_suite(raw.strip()).name


def _parse_on_off_auto(raw: str) -> bool | None:
    """`auto` (None) lets the caller decide from where the app runs."""
    if raw.strip().lower() == "auto":
        return None
    return _parse_bool(raw)


def _parse_rate_limit(raw: str) -> tuple[int, int] | None:
    """`N/D`: at most N requests per namespace in D days; `off`: no limit."""
    text = raw.strip().lower()
    if text in {"off", "none"}:
        return None
    count, sep, days = text.partition("/")
    if not sep:
        raise ValueError("expected `N/D` (N requests in D days), e.g. `5/7`, or `off`")
    limit = (int(count), int(days))
    if limit[0] < 1 or limit[1] < 1:
        raise ValueError("both N and D must be at least 1; use `off` for no limit")
    return limit


def _parse_names(raw: str) -> tuple[str, ...]:
    return tuple(sorted({part.strip() for part in raw.split(",") if part.strip()}))


def _parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def _parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse


def _parse_executor(raw: str) -> str:
    from leaderboard.backend.executors import executor_names  # late: the registry's names

    value = raw.strip().lower()
    if value not in executor_names():
        raise ValueError(f"expected one of {', '.join(executor_names())}")
    return value


def _parse_gpu_indices(raw: str) -> tuple[int, ...]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise ValueError("expected GPU indices separated by commas, e.g. `0,1,2,3`")
    indices = tuple(int(part) for part in parts)
    if len(set(indices)) != len(indices):
        raise ValueError("a GPU is named twice")
    return indices


def _parse_batch_size(raw: str) -> str:
    value = raw.strip().lower()
    if value == "auto" or value.startswith("auto:") or value.isdigit():
        return value
    raise ValueError("expected `auto`, `auto:N` or a number")


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
        "table without a restart; `0` turns the check off. A local folder is also watched "
        "for file-system events, so its new files are on the board within a second.",
        _parse_seconds,
    ),
    Setting(
        "LEADERBOARD_RESCAN_SECONDS",
        "rescan_seconds",
        "600",
        "How often a watched local folder is listed in full anyway, the safety net for events "
        "a file system may not report (network folders); a check in between reads only the "
        "files that events named; `0` lists in full at every check.",
        _parse_seconds,
    ),
    Setting(
        "LEADERBOARD_BROWSER_ROWS",
        "browser_rows",
        "50000",
        "Boards of up to this many models travel whole to the browser, which searches, "
        "filters and sorts them there (no server round trip per click); a larger board is "
        "queried on the server and sent window by window as the reader scrolls. `0` serves "
        "every board by windows.",
        _parse_count,
    ),
    Setting(
        "LEADERBOARD_CONTENTS_SECONDS",
        "contents_seconds",
        "600",
        "The app publishes each board as `contents/<suite>.parquet` in the results store after "
        "it changes, at most once per this many seconds (one commit on the Hub, only when a "
        "file's bytes changed); `0` turns publishing off (`python -m leaderboard contents` "
        "publishes on demand).",
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
        "LEADERBOARD_LOCAL_MODELS",
        "local_models",
        "",
        "A folder of local models as `<org>/<name>/`: a submitted `org/name` found there is "
        "inspected (and evaluated) from disk instead of the Hub. Empty: Hub only.",
    ),
    Setting(
        "LEADERBOARD_ALLOW_ANONYMOUS",
        "allow_anonymous",
        "auto",
        "Accept submissions from people who are not signed in (sender `local`): `on`, `off`, "
        "or `auto` (on locally, off on a Hugging Face Space).",
        _parse_on_off_auto,
    ),
    Setting(
        "LEADERBOARD_RATE_LIMIT",
        "rate_limit",
        "5/7",
        "At most N requests per namespace (user or organisation) in D days, counted from the "
        "queue, as `N/D`; `off` for no limit.",
        _parse_rate_limit,
    ),
    Setting(
        "LEADERBOARD_RATE_LIMIT_EXEMPT",
        "rate_limit_exempt",
        "",
        "Comma-separated namespaces the rate limit does not apply to (the operator's own).",
        _parse_names,
    ),
    Setting(
        "LEADERBOARD_BLOCKED_AUTHORS",
        "blocked_authors",
        "",
        "Comma-separated namespaces whose models are not accepted.",
        _parse_names,
    ),
    Setting(
        "LEADERBOARD_MAX_PARAMS_B",
        "max_params_b",
        "100",
        "Largest model accepted in float16/bfloat16, in billions of parameters; 8bit allows "
        "twice as many, 4bit and GPTQ four times.",
        _parse_positive_float,
    ),
    Setting(
        "LEADERBOARD_MIN_CARD_CHARS",
        "min_card_chars",
        "200",
        "Shortest model card text (without its metadata header) accepted.",
        _parse_positive_int,
    ),
    Setting(
        "LEADERBOARD_HUB_ENDPOINT",
        "hub_endpoint",
        "https://huggingface.co",
        "The Hugging Face Hub (or a Hub-compatible server) used to inspect submitted models.",
    ),
    Setting(
        "HF_TOKEN",
        "hub_token",
        "",
        "Hugging Face token for Hub model inspection (and Hub stores). Never logged or shown.",
    ),
    Setting(
        "LEADERBOARD_WORKER",
        "worker",
        "off",
        "Run the evaluation worker inside the app process (APScheduler), for a Space with a "
        "GPU or a laptop; `off` when workers run elsewhere (`python -m leaderboard worker`).",
        _parse_bool,
    ),
    Setting(
        "LEADERBOARD_WORKER_INTERVAL",
        "worker_interval",
        "60",
        "Seconds between looks at the queue while the worker has room for more evaluations.",
        _parse_positive_int,
    ),
    Setting(
        "LEADERBOARD_WORKER_ID",
        "worker_id",
        "",
        "This worker's name in the requests it claims; empty: `<hostname>:<pid>`.",
    ),
    Setting(
        "LEADERBOARD_EXECUTOR",
        "executor",
        "local",
        "Where evaluations run: `local` (child processes on this machine's GPUs, several at "
        "once) or `ray` (Ray tasks on a cluster).",
        _parse_executor,
    ),
    Setting(
        "LEADERBOARD_GPUS",
        "gpus",
        "",
        "The GPUs the `local` executor may use, as indices (`0,1,2,3`); empty: every GPU "
        "`nvidia-smi` lists (within CUDA_VISIBLE_DEVICES).",
        _parse_gpu_indices,
    ),
    Setting(
        "LEADERBOARD_GPU_MEMORY_GB",
        "gpu_memory_gb",
        "0",
        "Memory of one GPU, in GB, for sizing evaluations; 0: the smallest `nvidia-smi` "
        "reports (80, an A100's or H100's, on a Ray cluster where this machine has none).",
        _parse_positive_float,
    ),
    Setting(
        "LEADERBOARD_DATA_PARALLEL",
        "data_parallel",
        "1",
        "GPUs a model that fits one GPU is copied over (`accelerate launch`, data parallel); "
        "1 packs one evaluation per GPU.",
        _parse_positive_int,
    ),
    Setting(
        "LEADERBOARD_RAY_ADDRESS",
        "ray_address",
        "",
        "The Ray cluster of the `ray` executor: `auto` (the node's running cluster), "
        "`ray://host:10001` (Ray Client), or empty to start a local one.",
    ),
    Setting(
        "LEADERBOARD_DEVICE",
        "device",
        "auto",
        "`auto` (cuda when a GPU is present, else cpu), `cpu` or `cuda`.",
        _parse_choice("auto", "cpu", "cuda"),
    ),
    Setting(
        "LEADERBOARD_LM_EVAL_BACKEND",
        "lm_eval_backend",
        "hf",
        "lm-eval model backend: `hf` (transformers; several GPUs through `accelerate launch`) "
        "or `vllm` (needs vLLM installed and a GPU).",
        _parse_choice("hf", "vllm"),
    ),
    Setting(
        "LEADERBOARD_BATCH_SIZE",
        "batch_size",
        "auto",
        "lm-eval batch size: `auto`, `auto:N` or a number.",
        _parse_batch_size,
    ),
    Setting(
        "LEADERBOARD_EFFICIENCY_SECONDS",
        "efficiency_seconds",
        "120",
        "Time bound of the efficiency pass run after each evaluation on the same hardware "
        "(output speed, time to first token, load time, peak memory: see README, "
        "Efficiency); `0` turns the pass off.",
        _parse_seconds,
    ),
    Setting(
        "LEADERBOARD_LEASE_SECONDS",
        "lease_seconds",
        "600",
        "A RUNNING request whose worker has not renewed its lease for this long is taken back "
        "(the worker renews all its leases in one write every third of this).",
        _parse_positive_int,
    ),
    Setting(
        "LEADERBOARD_MAX_ATTEMPTS",
        "max_attempts",
        "3",
        "Evaluations of one request started before it is FAILED as `worker lost`.",
        _parse_positive_int,
    ),
    Setting(
        "LEADERBOARD_EVAL_TIMEOUT",
        "eval_timeout",
        "86400",
        "Seconds before one evaluation is killed and its request FAILED as timed out.",
        _parse_positive_int,
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
    browser_rows: int = 50_000
    contents_seconds: int = 600
    rescan_seconds: int = 600
    co2_power_kw: float = 5.6
    co2_grid_g_per_kwh: float = 269.8
    log_level: str = "INFO"
    local_models: str = ""
    allow_anonymous: bool | None = None  # None: on locally, off on a Space
    rate_limit: tuple[int, int] | None = (5, 7)
    rate_limit_exempt: tuple[str, ...] = ()
    blocked_authors: tuple[str, ...] = ()
    max_params_b: float = 100.0
    min_card_chars: int = 200
    hub_endpoint: str = "https://huggingface.co"
    hub_token: str = dataclasses.field(default="", repr=False)  # a secret: never in a repr
    worker: bool = False
    worker_interval: int = 60
    worker_id: str = ""
    executor: str = "local"
    gpus: tuple[int, ...] = ()  # empty: every GPU this machine has
    gpu_memory_gb: float = 0.0  # 0: as nvidia-smi reports
    data_parallel: int = 1
    ray_address: str = ""
    device: str = "auto"
    lm_eval_backend: str = "hf"
    batch_size: str = "auto"
    efficiency_seconds: int = 120
    lease_seconds: int = 600
    max_attempts: int = 3
    eval_timeout: int = 86400
    on_space: bool = False  # running as a Hugging Face Space (SYSTEM=spaces)

    @property
    def anonymous_submissions(self) -> bool:
        return (not self.on_space) if self.allow_anonymous is None else self.allow_anonymous

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from `environ` (default: the process environment).

    Raises ConfigError naming the variable and what it accepts.
    """
    environ = os.environ if environ is None else environ
    known = {setting.env for setting in SETTINGS if setting.env.startswith(PREFIX)}
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
            reason = str(exc).rstrip(".")
            raise ConfigError(
                f"{setting.env}={raw!r} is not valid: {reason}. {setting.help}"
            ) from exc
    values["on_space"] = environ.get("SYSTEM") == "spaces" and bool(environ.get("SPACE_ID"))
    return Settings(**values)
