"""Records and vocabularies of the leaderboard's files: requests, results, enums, names."""

from leaderboard.domain.enums import ModelType, Precision, Status, WeightType
from leaderboard.domain.names import (
    format_timestamp,
    is_repo_id,
    parse_timestamp,
    repo_id_problem,
    request_file_path,
    results_file_path,
)
from leaderboard.domain.requests import EvalRequest
from leaderboard.domain.results import EvalResult, ResultFormat, parse_results

__all__ = [
    "EvalRequest",
    "EvalResult",
    "ModelType",
    "Precision",
    "ResultFormat",
    "Status",
    "WeightType",
    "format_timestamp",
    "is_repo_id",
    "parse_results",
    "parse_timestamp",
    "repo_id_problem",
    "request_file_path",
    "results_file_path",
]
