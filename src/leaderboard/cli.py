"""`python -m leaderboard <command>`: the leaderboard from a terminal.

Exit codes: 0 success; 1 the command failed; 2 the command line or configuration is wrong.
Every failure prints one line on stderr saying what to do.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

from leaderboard import export
from leaderboard.config import load_settings
from leaderboard.errors import LeaderboardError
from leaderboard.query import (
    HIDE_OPTIONS,
    MODEL_TYPE_CHOICES,
    SIZE_BUCKETS,
    Query,
    present,
    run_query,
)
from leaderboard.suites import SUITES, get_suite
from leaderboard.table import TableLoader
from leaderboard.table.queue import queue_groups, status_json, unreadable_rows

log = logging.getLogger("leaderboard")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr (exit 2), like every error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m leaderboard",
        description="An Open LLM Leaderboard you can run anywhere. Settings come from "
        "LEADERBOARD_* environment variables (see README.md).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="serve the web app (same as `python app.py`)")
    serve.add_argument("--host", help="address to listen on (default: GRADIO_SERVER_NAME)")
    serve.add_argument("--port", type=int, help="port (default: GRADIO_SERVER_PORT or 7860)")

    submit = commands.add_parser("submit", help="validate a model and queue it for evaluation")
    submit.add_argument("model", help="the model, as `org/name`")
    submit.add_argument("--revision", default="main", help="branch, tag or commit (default: main)")
    submit.add_argument(
        "--precision", default="float16", help="float16, bfloat16, 8bit, 4bit, GPTQ"
    )
    submit.add_argument("--weight-type", default="Original", help="Original, Delta or Adapter")
    submit.add_argument("--base-model", default="", help="the base model of a Delta or Adapter")
    submit.add_argument(
        "--model-type",
        default="",
        help="pretrained, continuously-pretrained, fine-tuned, chat, merge or multimodal",
    )
    submit.add_argument(
        "--chat-template", action="store_true", help="evaluate with the tokenizer's chat template"
    )
    submit.add_argument(
        "--sender", default="local", help="who submits, as recorded in the request (default: local)"
    )
    worker = commands.add_parser("worker", help="evaluate queued models (`--once`: one cycle)")
    worker.add_argument(
        "--once", action="store_true", help="run one cycle (reconcile, claim, evaluate) and exit"
    )

    status = commands.add_parser("status", help="show the queue: pending, running, done, failed")
    status.add_argument("--json", action="store_true", help="print JSON (DESIGN.md §6)")

    table = commands.add_parser("table", help="print the leaderboard as shown by default")
    output = table.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="an array of objects (default)")
    output.add_argument("--csv", action="store_true", help="CSV with the displayed headers")
    output.add_argument(
        "--parquet", metavar="FILE", help="write the rows to a Parquet file (displayed headers)"
    )
    table.add_argument("--suite", help="board to print (default: the app's first board)")
    table.add_argument("--search", default="", help="as in the search box: `a;b @license:mit`")
    table.add_argument(
        "--type",
        help="comma-separated model types: " + ", ".join(t.short for t in MODEL_TYPE_CHOICES),
    )
    table.add_argument("--precision", help="comma-separated precisions (float16,bfloat16,...)")
    table.add_argument("--weight-type", help="comma-separated weight types (Original,Adapter,..)")
    table.add_argument("--params", help="size range in billions, `MIN-MAX`, `7-` or `-3`")
    table.add_argument(
        "--size", help="comma-separated buckets: " + ", ".join(b.key for b in SIZE_BUCKETS)
    )
    table.add_argument("--hide", help="comma-separated: " + ", ".join(HIDE_OPTIONS))
    table.add_argument("--columns", help="comma-separated column keys or labels to show")
    table.add_argument("--sort", default="-average", help="column to sort by; `-` for descending")

    contents = commands.add_parser(
        "contents", help="publish every board as contents/<suite>.parquet in the results store"
    )
    contents.add_argument(
        "--schema", action="store_true", help="print a board's columns (Markdown) instead"
    )
    contents.add_argument("--suite", help="with --schema: the board (default: LEADERBOARD_SUITE)")

    page = commands.add_parser("model", help="one model's page: scores, ranks, provenance")
    page.add_argument("model", help="the model, as `org/name`")
    page.add_argument("--precision", default="", help="which of its rows (default: the best)")
    page.add_argument("--suite", help="board (default: the app's first board)")
    page.add_argument("--json", action="store_true", help="the whole record as JSON")

    model = commands.add_parser(
        "demo-model", help="build a tiny random model offline, to try submission and evaluation"
    )
    model.add_argument("folder", help="where to write it, e.g. models/demo-org/tiny-model")
    model.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")

    demo = commands.add_parser("demo-data", help="write N synthetic models for scale tests")
    demo.add_argument("--models", type=int, required=True, help="how many models")
    demo.add_argument("--queue", required=True, help="queue folder to write requests into")
    demo.add_argument("--results", required=True, help="results folder to write results into")
    demo.add_argument("--suite", default="v2", choices=sorted(SUITES), help="default: v2")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser


def _attach_dash_values(argv: Sequence[str]) -> list[str]:
    """`--sort -gsm8k` -> `--sort=-gsm8k`: argparse would take `-gsm8k` for an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] == "--sort" and arg.startswith("-") and not arg.startswith("--"):
            out[-1] = f"--sort={arg}"
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_attach_dash_values(sys.argv[1:] if argv is None else argv))
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
        handler = {
            "serve": _serve,
            "status": _status,
            "table": _table,
            "contents": _contents,
            "model": _model,
            "demo-data": _demo_data,
            "submit": _submit,
            "demo-model": _demo_model,
            "worker": _worker,
        }[args.command]
        return handler(args, settings)
    except LeaderboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError | KeyError) else 1


def _serve(args, settings) -> int:
    from leaderboard.ui import serve

    serve(settings, host=args.host, port=args.port)
    return 0


def _submit(args, settings) -> int:
    """The operator's door to the queue: the same rules as the Submit tab, minus sign-in
    (whoever runs this can write to the queue anyway). Prints the request's path."""
    from leaderboard.stores import open_store
    from leaderboard.submission import Accepted, SubmissionForm, submitter_from_settings

    logging.getLogger("leaderboard.submission").setLevel(logging.WARNING)  # the outcome is printed
    submitter = submitter_from_settings(settings, open_store(settings.queue, settings))
    form = SubmissionForm(
        model=args.model,
        revision=args.revision,
        precision=args.precision,
        weight_type=args.weight_type,
        base_model=args.base_model,
        model_type=args.model_type,
        use_chat_template=args.chat_template,
    )
    outcome = submitter.submit(form, sender=args.sender)
    if isinstance(outcome, Accepted):
        print(outcome.path)
        return 0
    print(f"error: {outcome.message}", file=sys.stderr)
    return 1


def _worker(args, settings) -> int:
    """`--once`: one cycle (what the executor has room for, run to the end), one line per
    evaluation, exit 0 whether they finished, failed or nothing was there to do; 1 on an
    internal error. Otherwise cycles until SIGINT/SIGTERM, which hands every running request
    back to the queue."""
    import signal
    import threading

    from leaderboard.backend.scheduler import safe_cycle
    from leaderboard.backend.worker import Worker
    from leaderboard.stores import open_store

    stopping = threading.Event()
    workers: list[Worker] = []

    def stop(signum, frame) -> None:
        stopping.set()
        for worker in workers:
            worker.stop()

    # Before the worker exists: connecting to a cluster can take a while, and a SIGTERM
    # meanwhile is a stop like any other (the ray executor keeps these handlers).
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    worker = Worker(
        open_store(settings.queue, settings), open_store(settings.results, settings), settings
    )
    workers.append(worker)
    if stopping.is_set():
        worker.stop()
    try:
        if args.once:
            try:
                results = worker.run_cycle()
            except Exception as exc:  # the one place a worker bug becomes an exit code
                log.debug("The worker cycle failed", exc_info=True)  # LEADERBOARD_LOG_LEVEL=DEBUG
                print(f"error: the worker cycle failed: {exc}", file=sys.stderr)
                return 1
            for result in results or ["idle"]:
                line = (
                    result
                    if isinstance(result, str)
                    else f"{result.outcome.value} {result.model} {result.reason}"
                )
                print(line.strip())
            return 0
        log.info(
            "Worker %s started on the %s executor; every %d s",
            worker.worker_id,
            worker.executor.name,
            settings.worker_interval,
        )
        while not stopping.is_set():
            if not safe_cycle(worker):
                stopping.wait(settings.worker_interval)  # busy queues run back to back
        return 0
    finally:
        worker.close()


def _status(args, settings) -> int:
    snapshot = TableLoader.from_settings(settings).load()
    requests = snapshot.requests
    if args.json:
        status = status_json(requests, snapshot.skipped)
        sys.stdout.write(orjson.dumps(status, option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
        return 0
    for status, rows in queue_groups(requests).items():
        print(f"{status.value} ({len(rows)})")
        for row in rows.itertuples():
            note = getattr(row, "reason", "") or getattr(row, "progress", "")
            note = f"  -- {note}" if note else ""
            print(f"  {row.model}  {row.precision}  {row.weight_type}  {row.submitted}{note}")
    unreadable = unreadable_rows(snapshot.skipped)
    if len(unreadable):
        print(f"UNREADABLE ({len(unreadable)}): left out of the table and the queue")
        for row in unreadable.itertuples():
            print(f"  {row.store}: {row.file}  -- {row.reason}")
    return 0


def table_query(args, suite) -> Query:
    """The options as the one query grammar reads them (strictly: a bad value is an error)."""
    values = {
        "search": args.search,
        "type": args.type,
        "precision": args.precision,
        "weight_type": args.weight_type,
        "params": args.params,
        "size": args.size,
        "hide": args.hide,
        "columns": args.columns,
        "sort": args.sort,
    }
    return Query.from_values(values, suite, strict=True).query


def _table(args, settings) -> int:
    snapshot = TableLoader.from_settings(settings).load()
    suite = get_suite(args.suite or snapshot.default_suite or settings.suite)
    query = table_query(args, suite)  # a bad value: QueryError, printed by main
    rows = present(run_query(snapshot.board(suite.name), suite, query), suite)
    if args.parquet:
        try:
            write_file(export.FORMATS["parquet"].write(rows), Path(args.parquet))
        except OSError as exc:
            print(f"error: cannot write {args.parquet}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"{len(rows)} rows -> {args.parquet}")
        return 0
    # The same bytes as the Leaderboard tab's downloads (export.py).
    data = export.FORMATS["csv" if args.csv else "json"].write(rows)
    sys.stdout.write(data.decode("utf-8"))
    return 0


def write_file(data: bytes, target: Path) -> None:
    """`data` as the file `target`, whole or not at all: written beside the target, then
    renamed over it."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _contents(args, settings) -> int:
    """Publish the boards now (the app does it after each change), or print the schema."""
    from leaderboard.contents import ContentsPublisher

    if args.schema:
        print(schema_table(get_suite(args.suite or settings.suite)))
        return 0
    loader = TableLoader.from_settings(settings)
    try:
        published = ContentsPublisher(loader.results_store).publish(loader.load())
    except OSError as exc:  # a store's error (StoreError is one) in one line
        print(f"error: cannot publish to {settings.results}: {exc}", file=sys.stderr)
        return 1
    for item in published:
        print(f"{item.path}: {item.rows} rows, {'written' if item.written else 'unchanged'}")
    if not published:
        print("no board has rows yet: nothing to publish")
    return 0


def schema_table(suite) -> str:
    """The columns of `contents/<suite>.parquet` as a Markdown table (README, Board as data)."""
    lines = ["| column | type | label | meaning |", "|---|---|---|---|"]
    for column, kind in export.contents_schema(suite):
        meaning = column.description.replace("|", "\\|")
        lines.append(f"| `{column.key}` | {kind} | {column.label} | {meaning} |")
    return "\n".join(lines)


def _model(args, settings) -> int:
    from leaderboard.profile import load_profile

    loader = TableLoader.from_settings(settings)
    snapshot = loader.load()
    suite = get_suite(args.suite or snapshot.default_suite or settings.suite)
    profile = load_profile(snapshot, suite, args.model, args.precision, loader.results_store)
    if args.json:
        sys.stdout.write(orjson.dumps(profile.to_json(), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    else:
        print(profile_text(profile))
    return 0


def _efficiency_lines(efficiency) -> list[str]:
    if efficiency is None:
        return []
    speed, ttft = efficiency.tokens_per_second, efficiency.ttft_ms
    return [
        f"efficiency: {'-' if speed is None else f'{speed:.1f}'} tokens/s at batch size 1, "
        f"time to first token {'-' if ttft is None else f'{ttft:.0f}'} ms, "
        f"on {efficiency.hardware or 'unknown hardware'} ({efficiency.backend or '-'})"
    ]


def profile_text(profile) -> str:
    """The model page as plain text (a terminal shows it as it is)."""

    def score(line) -> str:
        text = "-" if line.score is None else f"{line.score:6.2f}"
        if line.interval is not None:
            text += f" ± {line.interval:.2f}" + (" (estimated)" if line.estimated else "")
        return text

    lines = [f"{profile.model} ({profile.precision}) on {profile.suite_title}"]
    lines += [f"  rank {s.rank or '-'} of {s.of} among {s.group}" for s in profile.standings]
    lines.append("")
    for line in (profile.average, *profile.benchmarks):
        lines.append(f"{line.label:<24} {score(line)}")
        lines += [f"  {sub.label:<22} {score(sub)}" for sub in line.subtasks]
    request = profile.request
    lines += [
        "",
        f"type: {request.model_type}; weight type: {request.weight_type}; license: "
        f"{request.license or '-'}; params (B): {request.params_b or '-'}",
        f"sha: {request.model_sha or '-'}; submitted: {request.submitted or '-'}",
        f"harness: {profile.provenance.harness or '-'}; results: {profile.results_path or '-'}",
        *_efficiency_lines(profile.efficiency),
        "",
        "reproduce:" if profile.command else profile.command_note,
    ]
    if profile.command:
        lines.append(profile.command)
    return "\n".join(lines)


def _demo_model(args, settings) -> int:
    from leaderboard.demo_model import build_tiny_model

    folder = build_tiny_model(args.folder, seed=args.seed)
    print(folder)
    return 0


def _demo_data(args, settings) -> int:
    from leaderboard.demo_data import write_synthetic
    from leaderboard.stores import LocalStore

    if args.models < 1:
        print("error: --models must be at least 1", file=sys.stderr)
        return 2
    written = write_synthetic(
        args.models,
        get_suite(args.suite),
        queue=LocalStore(args.queue, durable=False),
        results=LocalStore(args.results, durable=False),
        seed=args.seed,
    )
    print(f"wrote {written} files for {args.models} synthetic models ({args.suite})")
    return 0
