"""lm-eval's per-sample files (`--log_samples`), read for the per-sample viewer. Pure: no I/O.

The worker publishes each task's `samples_<task>_<timestamp>.jsonl` as
`<org>/<model>/details_<stamp>/samples_<task>.jsonl` (`details_path`). One line per document
and filter: the prompt the model saw, each choice's continuation and log-likelihood (multiple
choice) or the generated text (generation), the target, and the per-sample metrics.

Lines come from many lm-eval versions and from anyone who can write to the results store, so
`parse_samples` reads only the fields the viewer shows, accepts the shapes real files have
(targets as an index, a text or a list; log-likelihoods as text or numbers; metrics as numbers,
bools or lists of bools; no `filter` or `metrics` key in lm-eval before 0.4.4) and skips a bad
line with a counted reason instead of failing the file. Every text kept is bounded, so a
megabyte prompt costs 20,000 characters of memory, not a megabyte.

`sample_query.view` answers the viewer's controls over one task's records.
"""

from __future__ import annotations

import gc
import json
import re
from dataclasses import dataclass, field, fields
from operator import itemgetter
from typing import NamedTuple

import orjson

from leaderboard.domain.names import repo_id_problem
from leaderboard.errors import ParseError, quoted

MAX_TEXT_CHARS = 20_000  # per text kept (prompt, choice, target, response); longer: cut, "…"
MAX_CHOICES = 64  # choices kept per sample (the log-likelihood argmax still sees them all)
MAX_SAMPLES = 200_000  # samples read per file; the rest is skipped with one reason
MAX_LINE_BYTES = 16 << 20  # a longer line is skipped unparsed
MAX_NAME_CHARS = 100  # a metric or filter name; longer metric names are ignored
MAX_METRICS = 64  # metrics kept per sample
MAX_FILTERS = 64  # distinct filters per file; lines of further filters are skipped
MAX_REASONS = 5  # skip reasons kept (all are counted)
MAX_HASH_CHARS = 128
CUT = "…"

# The top-level keys lm-eval writes that are not metrics: read when a line lists no `metrics`.
_NOT_METRICS = frozenset(
    {
        *("doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter"),
        *("metrics", "doc_hash", "prompt_hash", "target_hash"),
    }
)


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class Sample:
    """One line of a samples file: one document seen through one filter."""

    doc_id: int
    filter: str
    prompt: str  # the model's input: the first argument's `arg_0`
    choices: tuple[str, ...]  # multiple choice: each continuation; generation: ()
    loglikelihoods: tuple[float, ...]  # per kept choice, from `resps` (else filtered); gen: ()
    target: str  # the right answer as text: an index becomes its choice, a list "a | b"
    response: str  # generation: the raw text; multiple choice: the argmax choice of `resps`
    filtered: str  # what the metrics scored: `filtered_resps`' text or argmax choice
    chosen: int | None  # multiple choice: index of the choice `filtered_resps` picks
    metrics: tuple[tuple[str, float], ...]  # every numeric metric, as floats, in line order
    doc_hash: str

    def value(self, metric: str) -> float | None:
        """The metric's value for this sample, or None when the line has none."""
        for name, number in self.metrics:
            if name == metric:
                return number
        return None

    def correct(self, metric: str) -> bool | None:
        """True for 1, False for 0; None for anything else (a missing metric, a partial score
        such as 0.5 from a list metric, a non-binary metric like a BLEU score): only
        right-or-wrong metrics sort a sample into correct and incorrect."""
        number = self.value(metric)
        if number == 1.0:
            return True
        if number == 0.0:
            return False
        return None


@dataclass(frozen=True, slots=True)
class TaskSamples:
    """One task's samples file, as read."""

    task: str
    samples: tuple[Sample, ...]  # in file order
    metrics: tuple[str, ...]  # metric names seen, first seen first
    filters: tuple[str, ...]  # filter names seen, first seen first
    skipped: int  # lines that held no readable sample (blank lines are not counted)
    reasons: tuple[str, ...]  # why, for the first MAX_REASONS of them: "line 7: ..."
    bytes_read: int
    # What `view` computes once per task and filter (haystacks, outcomes): built lazily on the
    # first query that needs it, so that parsing stays at the floor and later pages are cheap.
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)


# ---------------------------------------------------------------------------------------------
# Parsing


class _Bad(Exception):
    """A line that holds no readable sample; its message is the reason."""


def parse_samples(data: bytes, task: str) -> TaskSamples:
    """Read one task's samples file (JSON lines, as lm-eval writes them).

    Args:
        data: the file's bytes.
        task: the task's name, kept on the result.

    Returns:
        The samples in file order, and how many lines were skipped and why.

    Raises:
        ParseError: the file is no JSON-lines file at all (binary, or not one line of it a
            sample); the message says what it holds instead.
    """
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"parse_samples reads bytes, not {type(data).__name__}")
    _refuse_binary(data, task)
    # The records hold no reference cycles, yet building 10,000 of them in a server's large
    # heap sets off full collections: a third of the time (benchmarks/README.md). Paused only
    # while this runs; whoever found collection on turns it back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse(data, task)
    finally:
        if collecting:
            gc.enable()


def _parse(data: bytes, task: str) -> TaskSamples:
    samples: list[Sample] = []
    append = samples.append
    shared: dict = {}  # equal values the samples share (`_sample`)
    metric_names: dict[str, None] = {}
    filters: dict[str, None] = {}
    last_filter = None
    reasons: list[str] = []
    skipped = 0
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    max_samples, max_line_bytes = MAX_SAMPLES, MAX_LINE_BYTES
    # Lines as views of `data`, not the copies `split` makes: copying is a third of the floor.
    whole, find, end = memoryview(data), data.find, len(data)
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # a BOM some editors write
    while start < end:
        stop = find(b"\n", start)
        if stop < 0:
            stop = end
        line = whole[start:stop]
        begin, start = start, stop + 1
        if not line:
            continue
        if len(samples) >= max_samples:
            rest = sum(1 for later in data[begin:].split(b"\n") if later.strip())
            skipped += rest
            if len(reasons) < MAX_REASONS:
                number = data.count(b"\n", 0, begin) + 1
                reasons.append(f"line {number} and later: more than {max_samples:,} samples")
            break
        try:
            if len(line) > max_line_bytes:
                raise _Bad(f"{len(line):,} bytes, more than a sample may have")
            try:
                obj = loads(line)
            except decode_error:
                line = bytes(line)
                if not line.strip():
                    continue
                obj = _lenient_loads(line)
                if obj is None:
                    raise _Bad("not JSON") from None
            if type(obj) is not dict:
                raise _Bad("not a JSON object")
            sample = _sample(obj, shared)
            if sample.filter != last_filter:
                if sample.filter not in filters:
                    if len(filters) >= MAX_FILTERS:
                        raise _Bad(f"more than {MAX_FILTERS} filters in one file")
                    filters[sample.filter] = None
                last_filter = sample.filter
        except _Bad as bad:
            skipped += 1
            if len(reasons) < MAX_REASONS:  # the line's number is counted for these only
                number = data.count(b"\n", 0, begin) + 1
                reasons.append(f"line {number}: {bad}")
            continue
        append(sample)
        for name, _ in sample.metrics:
            if name not in metric_names:
                metric_names[name] = None
    if not samples and skipped:
        raise ParseError(
            f"The samples file of task {quoted(task)} holds no sample we can read: "
            f"{skipped:,} lines skipped ({'; '.join(reasons)}). Is it lm-eval's "
            "`--log_samples` output (one JSON object per line)?"
        )
    return TaskSamples(
        task=task,
        samples=tuple(samples),
        metrics=tuple(metric_names),
        filters=tuple(filters),
        skipped=skipped,
        reasons=tuple(reasons),
        bytes_read=len(data),
    )


_BINARY_MAGIC = ((b"PAR1", "a Parquet file"), (b"\x1f\x8b", "gzip-compressed"))


def _refuse_binary(data: bytes, task: str) -> None:
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise ParseError(
                f"The samples file of task {quoted(task)} is {what}, not JSON lines; the "
                "viewer reads lm-eval's `samples_<task>.jsonl` files."
            )
    if b"\x00" in data[:4096]:  # JSON text never holds a raw NUL
        raise ParseError(
            f"The samples file of task {quoted(task)} is binary (it holds NUL bytes), not "
            "JSON lines; the viewer reads lm-eval's `samples_<task>.jsonl` files."
        )


def _lenient_loads(line: bytes) -> object | None:
    """lm-eval writes with `json.dumps`, which writes a NaN metric as `NaN`: orjson refuses
    that, Python's json reads it. Tried only on lines that orjson refused and that name one."""
    if b"NaN" not in line and b"Infinity" not in line:
        return None
    try:
        return json.loads(line)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def _sample(obj: dict, shared: dict) -> Sample:
    """The line's sample. The common shapes are read by the straight code below, whose every
    surprise (a missing key, an unexpected type) falls back to `_careful_sample`, which reads
    every shape lm-eval has written and says what is wrong with the others: the file of a
    real task is then read at nearly the cost of parsing its JSON (benchmarks/viewer_speed.py).
    """
    try:
        doc_id = obj["doc_id"]
        filter_name = obj.get("filter", "none")
        arguments = tuple(obj["arguments"].values())
        first = arguments[0]
        prompt = first["arg_0"]
        if (
            type(doc_id) is not int
            or type(filter_name) is not str
            or not 0 < len(filter_name) <= MAX_NAME_CHARS
            or type(prompt) is not str
        ):
            return _careful_sample(obj)
        if type(first.get("arg_1")) is str:
            # C-level maps, not comprehensions: this is the per-sample cost above the floor.
            choices = tuple(map(_ARG_1, arguments))
            count = len(choices)
            if count > MAX_CHOICES or len("".join(choices)) > MAX_TEXT_CHARS:  # or TypeError
                return _careful_sample(obj)
            # [[[ll, is_greedy]], ...] and [[ll, is_greedy], ...]. Other shapes give no floats
            # here (a text's first item is one character, never a float's text) or raise.
            raw = list(map(_FIRST, map(_FIRST, obj["resps"])))
            scored = list(map(_FIRST, obj["filtered_resps"]))
            loglikelihoods = _floats(raw, count)
            if loglikelihoods is None:
                return _careful_sample(obj)
            chosen = loglikelihoods.index(max(loglikelihoods))
            response = filtered = choices[chosen]
            if scored != raw:  # mostly they are the same: filter "none" keeps them as they are
                scored = _floats(scored, count)
                if scored is None:
                    return _careful_sample(obj)
                chosen = scored.index(max(scored))
                filtered = choices[chosen]
            target = obj.get("target")
            if type(target) is str and target.isdigit() and len(target) < 6 and target.isascii():
                index = int(target)
                target = choices[index].strip() if index < count else _target(target, choices)
            else:
                target = _target(target, choices)
        else:
            responses, filtered_responses = obj["resps"], obj["filtered_resps"]
            if type(responses) is not list or type(filtered_responses) is not list:
                return _careful_sample(obj)
            response, filtered = responses[0], filtered_responses[0]
            if type(response) is not list:
                return _careful_sample(obj)
            response = response[0]
            target = obj.get("target")
            if (
                type(response) is not str
                or type(filtered) is not str
                or type(target) is not str
                or max(len(response), len(filtered), len(target)) > MAX_TEXT_CHARS
            ):
                return _careful_sample(obj)
            chosen, loglikelihoods, choices = None, (), ()
        names = obj["metrics"]
        if type(names) is not list:
            return _careful_sample(obj)
        values = list(map(obj.__getitem__, names))
        sum(values, 0.0)  # TypeError unless every value is a number or a bool
        if len(names) > MAX_METRICS or len("".join(names)) > MAX_NAME_CHARS:
            return _careful_sample(obj)
        # One tuple per distinct set of values (a handful per task), one string per name.
        metrics = tuple(zip(names, map(float, values)))  # noqa: B905  # same lengths
        metrics = shared.setdefault(metrics, metrics)
        filter_name = shared.setdefault(filter_name, filter_name)
        doc_hash = obj.get("doc_hash", "")
        if type(doc_hash) is not str or len(doc_hash) > MAX_HASH_CHARS:
            return _careful_sample(obj)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError):
        return _careful_sample(obj)
    if len(prompt) > MAX_TEXT_CHARS:
        prompt = prompt[: MAX_TEXT_CHARS - 1] + CUT
    return _new_sample(
        doc_id,
        filter_name,
        prompt,
        choices,
        loglikelihoods,
        target,
        response,
        filtered,
        chosen,
        metrics,
        doc_hash,
    )


_ARG_1, _FIRST, _FLOATS = itemgetter("arg_1"), itemgetter(0), {float}


def _floats(values: list, count: int) -> tuple[float, ...] | None:
    """`count` log-likelihoods written as text (lm-eval >= 0.4.3) or as numbers, or None.
    The texts are read by orjson as one JSON array, four times faster than `float` on each;
    what it cannot read (`-inf`, `nan`) goes through `float`."""
    try:
        numbers = orjson.loads(f"[{','.join(values)}]")
    except TypeError:  # not all text: numbers already, or garbage (checked below)
        numbers = values
    except orjson.JSONDecodeError:
        try:
            numbers = list(map(float, values))
        except ValueError:
            return None
    if len(numbers) != count or set(map(type, numbers)) != _FLOATS:
        return None
    return tuple(numbers)


def _slot_setter(name: str):
    return Sample.__dict__[name].__set__


def _make_new_sample():
    """`Sample(...)` at two thirds of the cost, for the fast path: a frozen dataclass's
    `__init__` sets each field through `object.__setattr__`; this sets the slots directly.
    The values are the fields, in order (the tests compare both ways of building)."""
    setters = [_slot_setter(f.name) for f in fields(Sample)]
    (a, b, c, d, e, f, g, h, i, j, k) = setters
    new = object.__new__

    def new_sample(*values) -> Sample:
        sample = new(Sample)
        a(sample, values[0])
        b(sample, values[1])
        c(sample, values[2])
        d(sample, values[3])
        e(sample, values[4])
        f(sample, values[5])
        g(sample, values[6])
        h(sample, values[7])
        i(sample, values[8])
        j(sample, values[9])
        k(sample, values[10])
        return sample

    return new_sample


_new_sample = _make_new_sample()


def _careful_sample(obj: dict) -> Sample:
    """Any line's sample, or _Bad saying why the line holds none."""
    try:
        return _read_sample(obj)
    except OverflowError:  # an integer of 400 digits as a metric (`json` reads those)
        raise _Bad("a number is too large for a float") from None


def _read_sample(obj: dict) -> Sample:
    doc_id = obj.get("doc_id")
    if type(doc_id) is not int:
        raise _Bad("doc_id is missing or not an integer")
    filter_name = obj.get("filter", "none")
    if type(filter_name) is not str or not filter_name or len(filter_name) > MAX_NAME_CHARS:
        raise _Bad("filter is not a short text")

    arguments = obj.get("arguments")
    if type(arguments) is dict:  # {"gen_args_0": {"arg_0": ..., "arg_1": ...}, ...}
        arguments = list(arguments.values())
    elif type(arguments) is not list:  # lm-eval 0.4.0-0.4.1: [[arg_0, arg_1], ...]
        raise _Bad("arguments is missing or not an object")
    if not arguments:
        raise _Bad("arguments is empty")
    prompt, continuation = _argument(arguments[0])
    if type(prompt) is not str:
        raise _Bad("the prompt (the first argument's arg_0) is not text")
    if len(prompt) > MAX_TEXT_CHARS:
        prompt = prompt[: MAX_TEXT_CHARS - 1] + CUT

    if type(continuation) is str:  # log-likelihood of each continuation: multiple choice
        choices = [_choice(argument) for argument in arguments[:MAX_CHOICES]]
        raw = _logliks(obj.get("resps"), len(arguments))
        scored = _logliks(obj.get("filtered_resps"), len(arguments))
        if raw is None:
            raw = scored
        if raw is None:
            raise _Bad(f"resps holds no log-likelihood per choice ({len(arguments)} choices)")
        if scored is None:
            scored = raw
        picked = raw.index(max(raw))
        chosen = scored.index(max(scored))
        response = _choice_text(choices, picked, len(arguments))
        filtered = _choice_text(choices, chosen, len(arguments))
        target = _target(obj.get("target"), choices)
        loglikelihoods = tuple(raw[:MAX_CHOICES])
        choices_kept = tuple(choices)
    else:  # generation (arg_1: the generation kwargs), or a rolling log-likelihood
        response = _text(_leaf(obj.get("resps"), 2))
        filtered = _text(_leaf(obj.get("filtered_resps"), 1))
        target = _target(obj.get("target"), ())
        chosen, loglikelihoods, choices_kept = None, (), ()

    names = obj.get("metrics")
    metrics = _metrics(obj, names if type(names) is list else None)
    doc_hash = obj.get("doc_hash", "")
    if type(doc_hash) is not str:
        doc_hash = ""
    elif len(doc_hash) > MAX_HASH_CHARS:
        doc_hash = doc_hash[:MAX_HASH_CHARS]
    return Sample(
        doc_id,
        filter_name,
        prompt,
        choices_kept,
        loglikelihoods,
        target,
        response,
        filtered,
        chosen,
        metrics,
        doc_hash,
    )


def _argument(argument: object) -> tuple[object, object]:
    """(arg_0, arg_1) of one request's arguments, in either shape lm-eval has written."""
    if type(argument) is dict:
        return argument.get("arg_0"), argument.get("arg_1")
    if type(argument) is list and argument:
        return argument[0], argument[1] if len(argument) > 1 else None
    raise _Bad("an argument is not an object")


def _choice(argument: object) -> str:
    continuation = _argument(argument)[1]
    if type(continuation) is not str:
        raise _Bad("a choice (an argument's arg_1) is not text")
    if len(continuation) > MAX_TEXT_CHARS:
        return continuation[: MAX_TEXT_CHARS - 1] + CUT
    return continuation


def _logliks(responses: object, count: int) -> list[float] | None:
    """Each choice's log-likelihood: `resps` is `[[[ll, is_greedy]], ...]`, `filtered_resps`
    `[[ll, is_greedy], ...]`; `ll` as text (lm-eval >= 0.4.3) or a number. None when the list
    does not hold one number per choice."""
    if type(responses) is not list or len(responses) != count:
        return None
    values = []
    for item in responses:
        if type(item) is list:  # at most two levels: [[ll, greedy]] or [ll, greedy]
            item = item[0] if item else None
            if type(item) is list:
                item = item[0] if item else None
        kind = type(item)
        if kind is float:
            values.append(item)
        elif kind is str or kind is int or kind is bool:
            try:
                values.append(float(item))
            except ValueError:
                return None
        else:
            return None
    return values


def _choice_text(choices: list[str], index: int, count: int) -> str:
    if index < len(choices):
        return choices[index]
    return f"(choice {index + 1} of {count}; only the first {MAX_CHOICES} are kept)"


def _leaf(value: object, depth: int) -> object:
    """The first item of `value` at most `depth` lists down: `resps` is `[["text", ...]]`."""
    for _ in range(depth):
        if type(value) is not list:
            break
        value = value[0] if value else None
    return value


def _text(value: object) -> str:
    """Any JSON value as bounded text: strings as they are, other values as JSON."""
    if type(value) is str:
        text = value
    elif value is None:
        return ""
    elif type(value) in (int, float, bool):
        text = str(value)
    else:
        text = orjson.dumps(value).decode()
    if len(text) > MAX_TEXT_CHARS:
        return text[: MAX_TEXT_CHARS - 1] + CUT
    return text


def _target(target: object, choices: list[str] | tuple[()]) -> str:
    """The right answer as text: an index (int or digits) into the choices becomes that
    choice, stripped; a list of acceptable answers is joined with " | "."""
    kind = type(target)
    if kind is int:
        if 0 <= target < len(choices):
            return choices[target].strip()
        return str(target)
    if kind is str:
        if choices and target.isascii() and target.isdigit() and len(target) < 6:
            index = int(target)
            if index < len(choices):
                return choices[index].strip()
        return target if len(target) <= MAX_TEXT_CHARS else target[: MAX_TEXT_CHARS - 1] + CUT
    if kind is list:
        parts = [
            _target(item, choices) if type(item) in (int, str) else _text(item)
            for item in target[:MAX_CHOICES]
        ]
        return _text(" | ".join(parts))
    return _text(target)


def _metrics(obj: dict, names: list | None) -> tuple[tuple[str, float], ...]:
    """Every listed metric whose value is a number or a bool, as floats; a list of bools
    (IFEval's `inst_level_*`: one per instruction) as their mean. Lines without a `metrics`
    list (lm-eval before 0.4.4): every top-level number that is not one of lm-eval's fields."""
    if names is None:
        names = [key for key in obj if key not in _NOT_METRICS]
    pairs = []
    for name in names:
        if type(name) is not str or len(name) > MAX_NAME_CHARS:
            continue
        value = obj.get(name)
        kind = type(value)
        if kind is float:
            pairs.append((name, value))
        elif kind is bool or kind is int:
            pairs.append((name, float(value)))
        elif kind is list and value:
            if all(type(item) in (bool, int, float) for item in value):
                pairs.append((name, sum(value, 0.0) / len(value)))  # fsum can overflow
        else:
            continue
        if len(pairs) >= MAX_METRICS:
            break
    return tuple(pairs)


# ---------------------------------------------------------------------------------------------
# Where the files live


class DetailsPath(NamedTuple):
    model: str
    stamp: str
    task: str


# lm-eval's task names: letters, digits, `_`, `-`, `.` (and no `..`, no `/`).
_TASK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}")
# The claim's time as results files carry it (`leaderboard.domain.names.results_file_path`)
# and as lm-eval stamps its own files (`datetime.isoformat()` with `:` as `-`).
_STAMP = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d{1,6})?"
_STAMP_RE = re.compile(_STAMP)
_SAMPLES_FILE = re.compile(rf"samples_(?P<task>.+?)(?:_{_STAMP})?\.jsonl")


def task_name_problem(task: str) -> str | None:
    """Why `task` cannot name a samples file, or None when it can."""
    if not isinstance(task, str) or not _TASK.fullmatch(task) or ".." in task:
        return (
            f"The task name {quoted(str(task))} may only use letters, digits, `_`, `-` and "
            "`.` (at most 200, no `..`), as lm-eval's task names do."
        )
    return None


def details_path(model: str, stamp: str, task: str) -> str:
    """`<org>/<model>/details_<stamp>/samples_<task>.jsonl`: where one task's samples of one
    evaluation (the claim's `stamp`, as in its results file's name) are published.

    Raises:
        ValueError: the model is no Hub id, the stamp no `YYYY-MM-DDTHH-MM-SS[.ffffff]`, or
            the task name holds characters a file name in the store may not.
    """
    problem = repo_id_problem(model) if isinstance(model, str) else "The model is not text."
    if problem is None and not (isinstance(stamp, str) and _STAMP_RE.fullmatch(stamp)):
        problem = (
            f"The stamp {quoted(str(stamp))} is not a results file's time "
            "(YYYY-MM-DDTHH-MM-SS.ffffff)."
        )
    problem = problem or task_name_problem(task)
    if problem:
        raise ValueError(problem)
    return f"{model}/details_{stamp}/samples_{task}.jsonl"


def parse_details_path(path: str) -> DetailsPath | None:
    """(model, stamp, task) of a path `details_path` writes; None for any other path,
    including ones with `..`, extra folders or task names `details_path` refuses."""
    if not isinstance(path, str):
        return None
    parts = path.split("/")
    if len(parts) != 4 or not parts[2].startswith("details_"):
        return None
    model, stamp, name = f"{parts[0]}/{parts[1]}", parts[2].removeprefix("details_"), parts[3]
    if not name.startswith("samples_") or not name.endswith(".jsonl"):
        return None
    task = name.removeprefix("samples_").removesuffix(".jsonl")
    try:
        if details_path(model, stamp, task) != path:
            return None
    except ValueError:
        return None
    return DetailsPath(model, stamp, task)


def task_of_samples_file(name: str) -> str | None:
    """The task of a samples file's name: lm-eval writes `samples_<task>_<timestamp>.jsonl`,
    the results store holds `samples_<task>.jsonl`. None for other names or odd tasks."""
    match = _SAMPLES_FILE.fullmatch(name.rsplit("/", 1)[-1])
    if match is None or task_name_problem(match["task"]):
        return None
    return match["task"]
