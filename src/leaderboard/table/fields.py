"""The field table: every value the table layer keeps, said once.

Each `Field` says where its value comes from (a results file, a request file, or the board
itself), its dtype in the frames, its default on a board row that has no request, and, if
the board shows it, its column (label, kind, shown by default, decimals) and how it can be
filtered (a `@name:` search field, a hide toggle). Entries, frames, defaults, board columns,
the search fields and the hide options of the UI, the `/query` API and the CLI are all
derived from this table.

Adding a column: add a `Field` here with a `request` (or `result`) reader, and read its
value in the file's parser (`domain/requests.py` or `domain/results.py`). Nothing else.
A suite's benchmark columns come from the suite (`suites/`), not from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import Any

from leaderboard.domain import EvalRequest, ModelType
from leaderboard.domain.names import format_timestamp
from leaderboard.suites import SUITES, Suite

LOG_TAIL_LINES = 6  # of a failed evaluation's log, in the queue view


class Kind(StrEnum):
    TEXT = "str"
    NUMBER = "number"
    BOOL = "bool"
    HTML = "html"  # built by us from escaped text (the Model cell); never Markdown


class Dtype(StrEnum):
    """A frame column's pandas dtype."""

    TEXT = "str"
    FLOAT = "float64"
    INT = "int64"
    BOOL = "bool"
    TIME = "datetime64[ns, UTC]"


class Board(StrEnum):
    """How a board row gets the field."""

    NONE = "none"  # not on boards (the queue's own fields)
    KEY = "key"  # a board row is one (model, precision)
    RESULT = "result"  # from the newest results file of the row
    REQUEST = "request"  # from the row's request, else the field's default
    BUILT = "built"  # computed while the board is built (rank, average, CO2, ...)


@dataclass(frozen=True)
class Hide:
    """A "hide these models" toggle: rows whose field equals `when` are hidden."""

    name: str  # in the URL, the API and the CLI (`hide=merged`)
    label: str  # in the UI
    when: bool = True


@dataclass(frozen=True)
class Field:
    key: str
    dtype: Dtype
    board: Board = Board.NONE
    request: Callable[[EvalRequest], Any] | None = None  # read from a request file
    result: Callable[[Any], Any] | None = None  # read from a ResultEntry
    default: Any = None  # on a board row without a request
    # The board column, for fields with a label:
    label: str = ""
    kind: Kind = Kind.TEXT
    visible: bool = False  # shown by default
    description: str = ""
    decimals: int | None = None
    pinned: bool = False  # always shown, cannot be deselected
    lead: bool = False  # shown before the benchmark columns
    # Filters:
    search: str = ""  # `@<search>:value` in the search box
    exact: bool = False  # the search matches the whole value, not a substring
    hide: Hide | None = None


def _submitted(request: EvalRequest) -> str:
    return format_timestamp(request.submitted_time)


def _log_tail(request: EvalRequest) -> str:
    return "\n".join(request.log_tail.splitlines()[-LOG_TAIL_LINES:])


def _progress(request: EvalRequest) -> str:
    return request.progress.describe() if request.progress else ""


_UNKNOWN = ModelType.UNKNOWN
_SYMBOLS = {member: member.symbol for member in ModelType}
# Readers. Enum fields are read as their members: a StrEnum member is its value as text, and
# `.value` costs a descriptor call per row of a cold build.
_result = attrgetter  # a ResultEntry's attribute
_request = attrgetter  # an EvalRequest's attribute


def _efficiency(name: str, missing: Any = None) -> Callable[[Any], Any]:
    """A reader of one figure of a ResultEntry's efficiency pass (most files have none)."""

    def read(entry: Any) -> Any:
        efficiency = entry.result.efficiency
        value = getattr(efficiency, name) if efficiency is not None else None
        return missing if value is None else value

    return read


# In display order (the lead columns, then the suite's benchmarks, then the rest). Kept
# as a table: one field per call, not one argument per line.
# fmt: off
FIELDS: tuple[Field, ...] = (
    Field("path", Dtype.TEXT),
    Field("version", Dtype.TEXT),
    Field("suite", Dtype.TEXT, result=_result("suite")),
    Field(
        "rank", Dtype.INT, Board.BUILT, label="Rank", kind=Kind.NUMBER, visible=True,
        description=(
            "Rank by the Average's 95% confidence interval: 1 + the models whose interval "
            "lies wholly above this one's; models whose intervals overlap share a rank."
        ), pinned=True, lead=True,
    ),
    Field(
        "type_symbol", Dtype.TEXT, Board.REQUEST, request=lambda r: _SYMBOLS[r.model_type],
        default=_UNKNOWN.symbol, label="T", visible=True, description="Model type, as a symbol.",
        pinned=True, lead=True,
    ),
    Field(
        "model", Dtype.TEXT, Board.KEY, request=_request("model"), result=_result("result.model"),
        label="Model", kind=Kind.HTML, visible=True, description="The model, linked to its page.",
        pinned=True, lead=True,
    ),
    Field(
        "average", Dtype.FLOAT, Board.BUILT, label="Average ⬆️", kind=Kind.NUMBER, visible=True,
        description="Mean of the benchmark scores.", decimals=2, lead=True,
    ),
    Field(
        "model_type", Dtype.TEXT, Board.REQUEST, request=_request("model_type"),
        default=_UNKNOWN.value, label="Type", visible=True,
        description="How the model was trained.", search="type",
    ),
    Field(
        "architecture", Dtype.TEXT, Board.REQUEST, request=lambda r: r.architectures or "Unknown",
        default="Unknown", label="Architecture", visible=True,
        description="Model class in its config.", search="architecture",
    ),
    Field(
        "precision", Dtype.TEXT, Board.KEY, request=_request("precision"),
        result=_result("result.precision"), label="Precision", visible=True,
        description="Weights' precision at evaluation.", search="precision", exact=True,
    ),
    Field(
        "weight_type", Dtype.TEXT, Board.REQUEST, request=_request("weight_type"),
        default="Original", label="Weight type", description="Original, Delta or Adapter.",
    ),
    Field(
        "params_b", Dtype.FLOAT, Board.REQUEST, request=_request("params"), label="#Params (B)",
        kind=Kind.NUMBER, visible=True, description="Parameters, in billions.", decimals=2,
    ),
    Field(
        "license", Dtype.TEXT, Board.REQUEST, request=_request("license"), default="",
        label="Hub License", visible=True, description="License on the model card.",
        search="license",
    ),
    Field(
        "likes", Dtype.INT, Board.REQUEST, request=_request("likes"), default=0, label="Hub ❤️",
        kind=Kind.NUMBER, visible=True, description="Likes on the Hub at submission.", decimals=0,
    ),
    Field(
        "available", Dtype.BOOL, Board.REQUEST, request=_request("still_on_hub"), default=True,
        label="Available on the hub", kind=Kind.BOOL, description="Still public on the Hub.",
        hide=Hide("unavailable", "Models no longer on the Hub", when=False),
    ),
    Field(
        "model_sha", Dtype.TEXT, Board.RESULT, result=_result("result.model_sha"),
        label="Model sha", description="Commit of the evaluated weights.",
    ),
    Field(
        "submitted", Dtype.TEXT, Board.REQUEST, request=_submitted, default="",
        label="Submission date", description="When the request was made.",
    ),
    Field(
        "merged", Dtype.BOOL, Board.REQUEST, request=_request("is_merged"), default=False,
        label="Merged", kind=Kind.BOOL, description="A merge of other models.",
        hide=Hide("merged", "Merged models"),
    ),
    Field(
        "moe", Dtype.BOOL, Board.REQUEST, request=_request("is_moe"), label="MoE", kind=Kind.BOOL,
        description="A mixture of experts.", hide=Hide("moe", "Mixtures of experts"),
    ),  # without a request: `moe` in the model's name (see build.py)
    Field(
        "flagged", Dtype.BOOL, Board.REQUEST, request=lambda r: bool(r.flagged), default=False,
        label="Flagged", kind=Kind.BOOL, description="Flagged by the operator (see FAQ).",
        hide=Hide("flagged", "Flagged models"),
    ),
    Field(
        "chat_template", Dtype.BOOL, Board.REQUEST, request=_request("use_chat_template"),
        default=False, label="Chat Template", kind=Kind.BOOL,
        description="Evaluated with its chat template.",
    ),
    Field(
        "co2_kg", Dtype.FLOAT, Board.BUILT, label="CO₂ cost (kg)", kind=Kind.NUMBER,
        visible=True, description="Emissions of the evaluation.", decimals=2,
    ),
    Field(
        "tokens_per_second", Dtype.FLOAT, Board.RESULT, result=_efficiency("tokens_per_second"),
        label="Speed (tokens/s)", kind=Kind.NUMBER, visible=True, decimals=1,
        description="Output speed at batch size 1, greedy, on the hardware named (About).",
    ),
    Field(
        "context_window", Dtype.FLOAT, Board.RESULT, result=_efficiency("context_window"),
        label="Context (tokens)", kind=Kind.NUMBER, visible=True, decimals=0,
        description="Context window, from the model's config.",
    ),
    Field(
        "ttft_ms", Dtype.FLOAT, Board.RESULT, result=_efficiency("ttft_ms"), label="TTFT (ms)",
        kind=Kind.NUMBER, decimals=0, description="Time to first token at batch size 1.",
    ),
    Field(
        "tokens_per_second_batch", Dtype.FLOAT, Board.RESULT,
        result=_efficiency("tokens_per_second_batch"), label="Batch speed (tokens/s)",
        kind=Kind.NUMBER, decimals=1, description="All output tokens of a batch of 8, per second.",
    ),
    Field(
        "load_seconds", Dtype.FLOAT, Board.RESULT, result=_efficiency("load_seconds"),
        label="Load time (s)", kind=Kind.NUMBER, decimals=1,
        description="Loading the model before the suite.",
    ),
    Field(
        "peak_memory_gb", Dtype.FLOAT, Board.RESULT, result=_efficiency("peak_memory_gb"),
        label="Peak memory (GB)", kind=Kind.NUMBER, decimals=2,
        description="Peak GPU memory (peak RSS on a CPU) of the evaluation.",
    ),
    Field(
        "gpu_hours", Dtype.FLOAT, Board.RESULT, result=_efficiency("gpu_hours"),
        label="GPU-hours", kind=Kind.NUMBER, decimals=3,
        description="The evaluation's wall time times its GPUs (none on a CPU).",
    ),
    Field(
        "evaluation_seconds", Dtype.FLOAT, Board.BUILT, result=_result("result.evaluation_seconds"),
        label="Evaluation time (s)", kind=Kind.NUMBER, decimals=0,
        description="Wall time of the benchmarks, from the results files (the CO₂ cost's basis).",
    ),
    Field(
        "score_per_gpu_hour", Dtype.FLOAT, Board.BUILT, label="Score per GPU-hour",
        kind=Kind.NUMBER, decimals=1, description="The Average divided by the GPU-hours.",
    ),
    Field(
        "hardware", Dtype.TEXT, Board.RESULT, result=_efficiency("hardware", ""),
        label="Hardware", description="What the efficiency figures were measured on.",
        search="hardware",
    ),
    Field(
        "base_model", Dtype.TEXT, Board.REQUEST, request=_request("base_model"), default="",
        label="Base model", description="For adapters and deltas.",
    ),
    Field(
        "harness", Dtype.TEXT, Board.RESULT, result=_result("result.harness_version"),
        label="Harness", description="Evaluation tool and version.",
    ),
    Field(
        "evaluated", Dtype.TEXT, Board.BUILT, label="Evaluated",
        description="When the newest result was produced.",
    ),
    # Kept for building boards and for the queue, not shown as board columns:
    Field("evaluated_at", Dtype.TIME, result=_result("result.evaluated_at")),
    Field("status", Dtype.TEXT, request=_request("status")),
    Field("revision", Dtype.TEXT, request=_request("revision")),
    Field("submitted_at", Dtype.TIME, request=_request("submitted_time")),
    Field("sender", Dtype.TEXT, request=_request("sender")),
    Field("reason", Dtype.TEXT, request=_request("failure_reason")),
    Field("progress", Dtype.TEXT, request=_progress),
    Field("log_tail", Dtype.TEXT, request=_log_tail),
    Field("log_path", Dtype.TEXT, request=_request("log_path")),
)
# fmt: on

FIELDS_BY_KEY = {field.key: field for field in FIELDS}
FILE_KEYS = ("path", "version")  # every entry's: which file, at which version
RESULT_FIELDS = tuple(f for f in FIELDS if f.result is not None)
REQUEST_FIELDS = tuple(f for f in FIELDS if f.request is not None)
FROM_REQUEST = tuple(f for f in FIELDS if f.board is Board.REQUEST)
FROM_RESULT = tuple(f for f in FIELDS if f.board is Board.RESULT)
SHOWN = tuple(f for f in FIELDS if f.label)
SEARCH_FIELDS = {f.search: f for f in FIELDS if f.search}  # `@type:` -> its field
HIDE_FIELDS = {f.hide.name: f for f in FIELDS if f.hide is not None}


def check_benchmark_keys(suites: Iterable[Suite]) -> None:
    """Refuse a benchmark keyed like one of the fields: both would be one board column."""
    for suite in suites:
        for benchmark in suite.benchmarks:
            if benchmark.key in FIELDS_BY_KEY:
                raise ValueError(
                    f"benchmark key {benchmark.key!r} of suite {suite.name!r} is a column of "
                    "every board (see table/fields.py); choose another key"
                )


check_benchmark_keys(SUITES.values())
