"""A model's page (`profile.ModelProfile`) as HTML for the Model tab.

Every text comes from files and forms, so every text is escaped here (`_e`) and nothing is
Markdown (no autolinks). Links are of three kinds only: the Hub page of a well-formed id
(`ModelProfile.hub_url`), this app's own views (`?model=...`, `query.app_link`), and
the results store's files (`file_url`, given by the caller: a Hub dataset's page, or this
app's route for a local folder).
"""

from __future__ import annotations

from collections.abc import Callable

from leaderboard.domain.efficiency import Efficiency
from leaderboard.profile import ModelProfile, ScoreLine
from leaderboard.query import app_link
from leaderboard.ui.safe import escaped as _e

FileUrl = Callable[[str], str | None]  # a store path -> where a reader opens it (or None)

CSS = """
#model-page table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-size: 0.92rem; }
#model-page th, #model-page td { padding: 0.2rem 0.6rem; text-align: left;
  border-bottom: 1px solid var(--border-color-primary); vertical-align: top; }
#model-page td.num { text-align: right; font-variant-numeric: tabular-nums; }
#model-page tr.sub td:first-child { padding-left: 1.6rem; }
#model-page pre { white-space: pre-wrap; word-break: break-all; font-size: 0.8rem;
  background: var(--background-fill-secondary); padding: 0.6rem; }
#model-page .muted { color: var(--body-text-color-subdued); }
#model-page h2 { margin: 0.2rem 0; word-break: break-all; }
#model-page h3 { margin: 1rem 0 0.2rem; }
"""


def _a(href: str, text: str, *, external: bool = False) -> str:
    extra = ' target="_blank" rel="noopener noreferrer"' if external else ""
    return f'<a href="{_e(href)}"{extra}>{_e(text)}</a>'


def _score(value: float | None, decimals: int = 2) -> str:
    return "" if value is None else f"{value:.{decimals}f}"


def _interval(line: ScoreLine) -> str:
    if line.interval is None:
        return ""
    mark = " *" if line.estimated else ""
    return f"± {line.interval:.2f}{mark}"


def _table(headers: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _score_rows(profile: ModelProfile) -> list[str]:
    rows = []
    for line, css in [(profile.average, "avg"), *((b, "") for b in profile.benchmarks)]:
        rows.append(_score_row(line, css))
        rows.extend(_score_row(sub, "sub") for sub in line.subtasks)
    return rows


def _score_row(line: ScoreLine, css: str) -> str:
    raw = "" if line.raw is None else f"{line.raw:.4f}"
    return (
        f'<tr class="{css}"><td>{_e(line.label)}</td><td class="num">{_score(line.score)}</td>'
        f'<td class="num">{_e(_interval(line))}</td><td class="num">{raw}</td></tr>'
    )


def _facts(pairs: list[tuple[str, object]]) -> str:
    rows = [f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in pairs if v not in ("", None)]
    return f"<table><tbody>{''.join(rows)}</tbody></table>"


def render_profile(profile: ModelProfile, file_url: FileUrl) -> str:
    """The whole page, one HTML string (a gr.HTML's value)."""
    p = profile
    title = f"<h2>{_e(p.model)}</h2>"
    hub = _a(p.hub_url, "Open on the Hub ↗", external=True) if p.hub_url else ""
    others = [
        _a(app_link(model=p.model, precision=other, board=p.suite), other)
        if other != p.precision
        else f"<b>{_e(other)}</b>"
        for other in p.precisions
    ]
    standing = " · ".join(
        f"rank {_e(s.rank if s.rank is not None else '–')} of {s.of} among {_e(s.group)}"
        for s in p.standings
    )
    header = (
        f'{title}<p>{hub} <span class="muted">{_e(p.suite_title)} · precision '
        f"{' | '.join(others)} · evaluated {_e(p.evaluated or 'unknown')}"
        + (f" · CO₂ {p.co2_kg:.2f} kg" if p.co2_kg is not None else "")
        + f"</span></p><p>{standing}</p>"
    )
    scores = _table(["Benchmark", "Score", "95% interval", "Raw"], _score_rows(p))
    estimated = any(line.estimated for line in (p.average, *p.benchmarks))
    note = (
        '<p class="muted">* estimated from the benchmark\'s number of items: the results file '
        "gives no standard error.</p>"
        if estimated
        else ""
    )
    r = p.request
    request = _facts(
        [
            ("Type", r.model_type),
            ("Weight type", r.weight_type),
            ("Base model", r.base_model),
            ("License", r.license),
            ("#Params (B)", r.params_b),
            ("Model sha", r.model_sha),
            ("Chat template", "yes" if r.chat_template else "no"),
            ("Submitted", r.submitted),
            ("Sender", r.sender),
            ("Request status", r.status),
        ]
    )
    v = p.provenance
    seconds = None if v.evaluation_seconds is None else f"{v.evaluation_seconds:,.0f} s"
    provenance = _facts(
        [
            ("Harness", v.harness),
            ("Harness git hash", v.git_hash),
            ("transformers", v.transformers),
            ("Model arguments", v.model_args),
            ("dtype", v.dtype),
            ("Batch size", v.batch_size),
            ("Device", v.device),
            ("Evaluation time", seconds),
            ("Chat template sha", v.chat_template_sha),
        ]
    )
    if v.tasks:
        task_rows = [
            f"<tr><td>{_e(t.task)}</td><td>{_e(t.version)}</td>"
            f'<td class="num">{_e("" if t.n_shot is None else t.n_shot)}</td>'
            f"<td><code>{_e(t.hash[:16])}</code></td></tr>"
            for t in v.tasks
        ]
        provenance += _table(["Task", "Version", "Shots", "Hash"], task_rows)
    if not (v.harness or v.tasks):
        provenance += '<p class="muted">The results file records no more than this.</p>'
    command = (f"<pre>{_e(p.command)}</pre>" if p.command else "") + (
        f'<p class="muted">{_e(p.command_note)}</p>' if p.command_note else ""
    )
    return (
        header
        + "<h3>Scores</h3>"
        + scores
        + note
        + "<h3>Request</h3>"
        + request
        + "<h3>Provenance</h3>"
        + provenance
        + _efficiency(p.efficiency)
        + "<h3>Reproduce</h3>"
        + command
        + "<h3>Files</h3>"
        + _files(p, file_url)
        + _history(p, file_url)
    )


def _figure(value: float | None, unit: str, digits: int) -> str | None:
    return None if value is None else f"{value:,.{digits}f} {unit}"


def _efficiency(e: Efficiency | None) -> str:
    """The efficiency pass's figures, each beside what it was measured on (README)."""
    if e is None:
        return ""
    kinds = {"accelerator": " (GPU, peak allocated)", "rss": " (peak RSS, CPU)"}
    memory = _figure(e.peak_memory_gb, "GB", 2)
    workload = None
    if e.prompt_tokens and e.output_tokens:
        lengths = ", ".join(map(str, e.prompt_tokens))
        workload = f"prompts of {lengths} tokens, {e.output_tokens} new tokens each, greedy"
    facts = _facts(
        [
            ("Output speed, batch size 1", _figure(e.tokens_per_second, "tokens/s", 1)),
            (
                f"Output speed, batch size {e.batch_size or '?'}",
                _figure(e.tokens_per_second_batch, "tokens/s", 1),
            ),
            ("Time to first token", _figure(e.ttft_ms, "ms", 0)),
            ("Load time", _figure(e.load_seconds, "s", 1)),
            ("Peak memory", memory and memory + kinds.get(e.memory_kind, "")),
            ("Evaluation wall time", _figure(e.evaluation_seconds, "s", 0)),
            ("GPU-hours", _figure(e.gpu_hours, "h", 3)),
            ("Hardware", e.hardware),
            ("Backend", e.backend),
            ("dtype", e.dtype),
            ("Context window", _figure(e.context_window, "tokens", 0)),
            ("Workload", workload),
            ("Note", e.note),
        ]
    )
    return "<h3>Efficiency</h3>" + facts


def _file(path: str, text: str, file_url: FileUrl) -> str:
    url = file_url(path) if path else None
    return _a(url, text) if url else _e(text)


def _files(p: ModelProfile, file_url: FileUrl) -> str:
    items = []
    if p.results_path:
        items.append("Results file: " + _file(p.results_path, p.results_path, file_url))
    if p.log_path:
        items.append("Evaluation log: " + _file(p.log_path, p.log_path, file_url))
    if p.details:
        tasks = ", ".join(
            _a(app_link(model=p.model, precision=p.precision, board=p.suite, task=d.file), d.task)
            for d in p.details
        )
        items.append(f"Samples, in the viewer below: {tasks}")
    else:
        items.append('<span class="muted">No per-sample files for this model.</span>')
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _history(p: ModelProfile, file_url: FileUrl) -> str:
    if len(p.history) < 2:
        return ""
    labels = [label for label, _ in p.history[0].scores]
    rows = [
        "<tr>"
        + f"<td>{_e(h.evaluated)}</td><td>{_file(h.file, h.file.rsplit('/', 1)[-1], file_url)}</td>"
        + f"<td>{_e(h.harness)}</td>"
        + "".join(f'<td class="num">{_score(score)}</td>' for _, score in h.scores)
        + "</tr>"
        for h in p.history
    ]
    return "<h3>History</h3>" + _table(["Evaluated", "File", "Harness", *labels], rows)


def render_message(text: str) -> str:
    return f'<p class="muted">{_e(text)}</p>'
