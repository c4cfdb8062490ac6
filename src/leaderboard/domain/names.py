"""File naming, timestamps and model ids: the small rules every other module leans on."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from leaderboard.domain.enums import Precision, WeightType

REPO_ID_MAX_LENGTH = 96
_REPO_PART = re.compile(r"^[A-Za-z0-9._-]+$")


def repo_id_problem(repo_id: str) -> str | None:
    """Why `repo_id` is not a well-formed `org/name` Hub id, or None when it is.

    Hub rules: two parts, letters, digits, `-`, `_`, `.`, at most 96 characters, no `..`,
    no part starting or ending with `-` or `.`; like the Hub, `--` is refused too.
    """
    if not repo_id:
        return "The model id is empty; write it as `org/model`."
    if len(repo_id) > REPO_ID_MAX_LENGTH:
        return f"The model id is {len(repo_id)} characters long; the Hub allows at most 96."
    parts = repo_id.split("/")
    if len(parts) != 2:
        return f"The model id {repo_id!r} must have exactly one `/`, as in `org/model`."
    if ".." in repo_id or "--" in repo_id:
        return f"The model id {repo_id!r} must not contain `..` or `--`."
    for part in parts:
        if not part or not _REPO_PART.fullmatch(part) or part[0] in "-." or part[-1] in "-.":
            return (
                f"The model id {repo_id!r} may only use letters, digits, `-`, `_` and `.`, "
                "and no part may start or end with `-` or `.`."
            )
    return None


def is_repo_id(text: str) -> bool:
    return repo_id_problem(text) is None


def request_file_path(
    model: str, *, private: bool, precision: Precision, weight_type: WeightType
) -> str:
    """`<org>/<model>_eval_request_<private>_<precision>_<weight_type>.json`, as in the OLL."""
    return f"{model}_eval_request_{private}_{precision.value}_{weight_type.value}.json"


def results_file_path(model: str, when: datetime) -> str:
    """`<org>/<model>/results_<YYYY-MM-DDTHH-MM-SS.ffffff>.json`."""
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%S.%f")
    return f"{model}/results_{stamp}.json"


_STAMP_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}[-:]\d{2}[-:]\d{2}(?:\.\d+)?)")
_DASHED_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2})-(\d{2})-(\d{2})(\.\d+)?$")


def parse_timestamp(raw: object) -> datetime | None:
    """Read the timestamps found in real files; naive ones are taken as UTC.

    Accepts ISO 8601 with `T` or a space, `Z` or an offset, times written with `:` or `-`
    (as in results file names), and Unix epoch seconds. Returns None for anything else.
    """
    if raw is None or raw == "" or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        try:
            return datetime.fromtimestamp(float(raw), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(raw).strip()
    dashed = _DASHED_TIME.match(text)
    if dashed:
        day, hours, minutes, seconds, fraction = dashed.groups()
        text = f"{day}T{hours}:{minutes}:{seconds}{fraction or ''}"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            return parse_timestamp(float(text))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def timestamp_in_name(path: str) -> datetime | None:
    """The timestamp a results file carries in its name, if any."""
    match = _STAMP_IN_NAME.search(path.rsplit("/", 1)[-1])
    return parse_timestamp(match.group(1)) if match else None


def format_timestamp(when: datetime | None) -> str:
    """The `2024-06-26T12:00:00Z` form request files use."""
    if when is None:
        return ""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
